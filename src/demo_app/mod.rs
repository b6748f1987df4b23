//! demo_app (in progress)
