//! How the user asked for the output: the format, which tables, and how
//! to draw them. Plain settings, decided once by `crate::output`.

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables and a verdict, for people.
    Table,
    /// One JSON object per snapshot, one per line.
    Json,
    /// GitHub-flavoured Markdown tables, for lecture notes.
    Markdown,
    /// A Mermaid diagram (renders on GitHub): clients, the one port, the sockets.
    Mermaid,
}

/// Which table(s) to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// `netstat -tanp`: one row per socket.
    Netstat,
    /// `lsof -i`: one row per process holding a socket.
    Lsof,
    /// Both tables.
    Both,
}

/// How to draw the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions {
    pub view: ViewKind,
    /// Colour the shared port and the differing remote ends (only on a terminal
    /// and when NO_COLOR is unset; the caller decides).
    pub color: bool,
    /// More rows than this are summarised.
    pub max_rows: usize,
    /// GitHub-flavoured Markdown tables instead of netstat's plain columns.
    pub markdown: bool,
    /// The columns plain text must fit in (Markdown is not wrapped: it is
    /// laid out by whatever renders it).
    pub width: usize,
}
