"""The public site: Wagtail pages (home, district associations, events, news, calls
for proposals, volunteer sign-up), collaboration proposals with their review, and
volunteer applications."""
