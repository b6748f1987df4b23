//! evidence (in progress)
