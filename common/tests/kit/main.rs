//! Integration tests of the simulation kit. They form one test binary, so the kit and the
//! test support (a small protocol and a replicated register) are compiled and linked once.

mod crash_restart;
mod determinism;
mod diagnostics;
mod fault_plans;
mod fileio;
mod leaders;
mod nemesis;
mod pictures;
mod process_api;
mod requests;
mod simulation;
mod support;
mod tick_order;
