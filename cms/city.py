"""``seed_city``'s public site: placeholder, filled below."""


def seed(city) -> None:
    pass
