//! The hub's one integration-test binary. The storage-dependent suites run once per backend:
//! SQLite always, PostgreSQL when `FIELDSCREEN_PG_URL` is set (and `FIELDSCREEN_REQUIRE_PG=1`
//! makes a missing or unreachable PostgreSQL a failure, not a skip).

mod api;
mod cli;
mod device;
mod faults;
mod limits;
mod ops;
mod postgres;
mod replicas;
mod stored;
mod support;
mod tls;
