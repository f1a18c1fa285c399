"""placeholder, replaced by its owner."""


def register(sub) -> None:
    pass
