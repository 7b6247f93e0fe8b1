from .execute import Engine, derive, read_needs

__all__ = ["Engine", "derive", "read_needs"]
