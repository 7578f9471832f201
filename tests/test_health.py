"""Probes for the orchestrator: liveness never touches the database; readiness
demands a reachable database with every migration applied."""

from dataclasses import replace

from starlette.testclient import TestClient

from vmeste.app import create_app


def test_ready_on_a_migrated_database(empty_database):
    with TestClient(create_app(empty_database)) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").json() == {"status": "ok"}


def test_not_ready_while_migrations_are_pending(vmeste_settings, tmp_path):
    unmigrated = replace(vmeste_settings,
                         database_url=f"sqlite://{tmp_path / 'blank.sqlite3'}")
    with TestClient(create_app(unmigrated)) as http:
        assert http.get("/healthz").status_code == 200
        response = http.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["reason"] == "migrations"
        assert "0001_initial" in body["pending"]


def test_not_ready_when_the_database_is_unreachable(vmeste_settings):
    unreachable = replace(vmeste_settings,
                          database_url="postgres://nobody@127.0.0.1:1/none")
    with TestClient(create_app(unreachable)) as http:
        assert http.get("/healthz").status_code == 200
        response = http.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "database"}
