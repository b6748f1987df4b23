//! polar_mock (in progress)
