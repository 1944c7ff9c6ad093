//! Tests of histories and the consistency checkers. They form one test binary, so the
//! checker's generic code is compiled and linked once.

mod brute_force;
mod differential_todc;
mod history_recording;
mod known_histories;
mod pictures;
mod support;
mod unknown_outcomes;
