"""Every write of the public site, one module per concept: the page tree's root
(``site``), association editors (``associations``), calls for proposals (``calls``),
collaboration proposals (``proposals``), deciding them (``decisions``: scoring sheets,
published results) and volunteer applications (``applications``).

Import each name from its module; this package re-exports nothing, so a
call site always names the module that holds the code.
"""
