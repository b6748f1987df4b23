//! browser (in progress)
