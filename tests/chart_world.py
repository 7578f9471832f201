"""The Helm chart as rendered documents: Helm's own engine (helm-python-sdk binds Helm's
Go SDK) renders it offline, and a :class:`Release` finds what the tests look at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "vmeste"
RELEASE, NAMESPACE = "vm", "gov"
SECRET_NAMES = ("VMESTE_DATABASE_URL", "VMESTE_BROKER_URL", "VMESTE_SECRET_KEY",
                "VMESTE_SMTP_URL", "VMESTE_RATE_LIMIT_STORAGE_URL")
#: Stand-ins for secrets, each a value no template could produce by itself.
SECRETS = {name: f"postgres://vmeste:pw-{name.lower()}-7f3a@db:5432/vmeste"
           for name in SECRET_NAMES}


@dataclass
class Release:
    values: dict[str, Any]
    documents: list[dict[str, Any]]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.documents if doc["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        [doc] = [doc for doc in self.kind(kind) if doc["metadata"]["name"] == name]
        return doc

    def pods(self) -> list[dict[str, Any]]:
        """The pod templates of every Deployment and Job."""
        return [doc["spec"]["template"] for doc in self.documents
                if doc["kind"] in ("Deployment", "Job")]

    def component(self, component: str) -> list[dict[str, Any]]:
        return [doc for doc in self.kind("Deployment")
                if doc["metadata"]["labels"]["app.kubernetes.io/component"] == component]

    def config(self) -> dict[str, str]:
        return dict(self.named("ConfigMap", f"{RELEASE}-vmeste")["data"])


def render(chart: helm.Chart, values: dict[str, Any] | None) -> Release:
    manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    documents = [doc for path, text in sorted(manifests.items()) if path.endswith(".yaml")
                 for doc in yaml.safe_load_all(text) if doc]
    return Release(values or {}, documents)


def production_values() -> dict[str, Any]:
    return helm.values_from_yaml((CHART / "values-production.yaml").read_text())


def container(pod: dict[str, Any]) -> dict[str, Any]:
    [only] = pod["spec"]["containers"]
    return only
