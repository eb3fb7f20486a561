"""Argument checks shared by the layers' constructors."""


def check_int(layer, name, value, minimum=1):
    """Raise a ValueError naming ``layer`` unless ``value`` is an int (not a bool) of at least ``minimum``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        kind = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{layer}: {name} must be {kind}, got {value!r}")
