"""Django's Japanese output formats, in the style of :mod:`core.formats`.

Django's own (``Y年n月j日G:i``, ``Y/m/d``) reach every value a template prints without
a filter: Wagtail's admin list columns and inspect views, the ``date`` filter without
an argument. These make them read as the rest of the site does:
``2026年12月3日(木) 06:56``. Input formats stay Django's.
"""

DATE_FORMAT = "Y年n月j日(D)"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y年n月j日(D) H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
SHORT_DATE_FORMAT = "Y年n月j日"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
