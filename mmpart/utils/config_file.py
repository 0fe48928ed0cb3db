"""Load a config file, saying in one line which file is missing when one is."""
import os.path as osp

from mmengine.config import Config


class ConfigFileNotFoundError(FileNotFoundError):
    """A config file, or a file it inherits, does not exist; the message names it (tools print it as one line)."""


def load_config(path: str, **kwargs) -> Config:
    """``Config.fromfile(path, **kwargs)``; a missing ``path`` or ``_base_`` raises :class:`ConfigFileNotFoundError`."""
    if not osp.isfile(path):
        raise ConfigFileNotFoundError(f'config file not found: {path}')
    try:
        return Config.fromfile(path, **kwargs)
    except FileNotFoundError as error:
        missing = error.filename or str(error)  # mmengine's own check gives only a message
        raise ConfigFileNotFoundError(f'{path}: a file it inherits was not found: {missing}') from error
