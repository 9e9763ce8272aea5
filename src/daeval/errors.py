"""Errors a user can act on, each with a stable exit code. Anything else is a bug and shows a traceback."""

from __future__ import annotations


class DaevalError(Exception):
    """An error in what the user gave daeval, explained in plain words."""

    exit_code = 2


class OutputPathError(DaevalError):
    """A path a command was told to write cannot be written: an existing file (without
    --force), the command's own input, a folder where a file is wanted, or the reverse."""


class InvalidValuesError(DaevalError):
    """Values in an input file that do not fit the canonical model (file, row, column, reason)."""

    exit_code = 10


class UnusableFileError(DaevalError):
    """A whole input file cannot be used: not a table, unreadable, or a required column missing."""

    exit_code = 11


class MissingDataError(DaevalError):
    """An analysis needs a table that has not been loaded."""

    exit_code = 12


class WorkspaceError(DaevalError):
    """The workspace is missing, not a daeval workspace, in use, or its files do not match."""

    exit_code = 13


class KeyProblemError(DaevalError):
    """The project key is missing, weak, readable by others, or not the workspace's key."""

    exit_code = 14


class StudyFileError(DaevalError):
    """The study file (study.yaml) cannot be used as written."""

    exit_code = 15


class ReplacementRefusedError(DaevalError):
    """An ingest that would remove most of a table's rows (most of the new rows quarantined),
    refused unless asked for with --replace-all."""

    exit_code = 16


class AllocationRefusedError(DaevalError):
    """An allocation or trial set-up refused: a participant already randomised, a level or factor
    the trial does not have, a sequence used up, a trial that exists already or not at all."""

    exit_code = 20


class AuditFailedError(DaevalError):
    """The audit log does not match the sealed allocation: a line edited, deleted or added."""

    exit_code = 21
