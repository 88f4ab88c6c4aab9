//! The `qoltanba` command in pieces: [`args`] (clap types), [`commands`] (one function per command, returning an
//! outcome), [`print`] (printers, and the exit code an outcome means).

pub(crate) mod args;
pub(crate) mod commands;
pub(crate) mod print;
