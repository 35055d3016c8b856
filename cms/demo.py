"""Demo content for the public site."""

from cms.services import site_home_ensure

DEMO_PHONE = "0120-000-000"


def seed(out) -> None:
    home = site_home_ensure()
    if home.mutual_aid_phone != DEMO_PHONE:
        home.mutual_aid_phone = DEMO_PHONE
        home.save_revision().publish()
    out.write(f"home page: {home.title}")
