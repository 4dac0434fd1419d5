//! Fieldscreen's unit side, the parts that need no IO: de-identified figures over the records a
//! custodian has opened, with small-cell suppression (`docs/figures.md`).

pub mod figures;

pub use figures::{figures, to_csv, Cell, FigureError, FigureOptions, Figures, Range, Row, Table};

#[cfg(test)]
mod sample;
#[cfg(test)]
mod tests;
