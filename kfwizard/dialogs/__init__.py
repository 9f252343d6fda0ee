"""Modal dialogs (each a ``ModalScreen[T]`` with its own scoped DEFAULT_CSS)."""
