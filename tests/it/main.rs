//! One integration-test binary: the real server on a random port over a real SQLite file or a
//! real PostgreSQL server started by the tests, the real CLI binary, and headless Chromium.

/// The whole journey in a real browser.
mod browser;
/// The CLI: users, import, export, migrate.
mod cli;
/// The store's behaviour, run identically against SQLite and PostgreSQL.
mod conformance;
/// Kill the server mid-surge; nothing acknowledged may be lost.
mod crash;
/// People resolved to districts; the geo CLI.
mod districts;
/// The district index against PostGIS's ST_Covers on random points.
mod geo_postgis;
/// Street addresses geocoded after commit through a stand-in for the Census geocoder.
mod geocode;
/// Shared fixtures: spawning the app, signing in, sample sign-ups.
mod helpers;
/// Partners: choosing them, the portal, the API, webhooks, the access matrix.
mod partners;
/// The partner journey in Chromium.
mod partners_browser;
/// Races: importing results and upcoming races, published figures.
mod races;
/// Races in Chromium: the map, a chamber, a recruit's races, the organizer view.
mod races_browser;
/// SIGTERM mid-load: in-flight commits finish, the process exits 0.
mod shutdown;
/// The sign-up form over HTTP.
mod signup;
/// Staff pages over HTTP: login, roles, audit, CSRF, merges, import and export.
mod staff;
/// Throwaway PostgreSQL and Chromium.
mod support;
