"""The Helm chart (charts/vmeste) as a cluster would receive it: rendered by Helm's own
engine with values.yaml alone, with secrets, and with values-production.yaml; linted;
every manifest validated against the Kubernetes API schemas (kubernetes-validate) of
the oldest version the chart supports and the newest bundled; then what the manifests
do (the migration hook, probes, security, secrets, worker groups, network) and which
values the schema refuses. No cluster and no database are involved."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from tests.chart_world import (
    CHART,
    RELEASE,
    ROOT,
    SECRET_NAMES,
    SECRETS,
    Release,
    container,
    production_values,
    render,
)

#: The chart's kubeVersion floor, and the newest Kubernetes kubernetes-validate bundles.
KUBERNETES = ("1.29.0", "1.37.0")
#: CRD kinds the Kubernetes schemas do not know; each has a test of its own below.
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PodMonitor"), ("keda.sh/v1alpha1", "ScaledObject")}
HOOK = "helm.sh/hook"


@pytest.fixture(scope="module")
def chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def bare(chart: helm.Chart) -> Release:
    """values.yaml alone: no secrets given."""
    return render(chart, None)


@pytest.fixture(scope="module")
def default(chart: helm.Chart) -> Release:
    """values.yaml with the chart-created Secret."""
    return render(chart, {"secrets": SECRETS})


@pytest.fixture(scope="module")
def production(chart: helm.Chart) -> Release:
    return render(chart, production_values())


@pytest.fixture(scope="module", params=["bare", "default", "production"])
def release(request: pytest.FixtureRequest) -> Release:
    return request.getfixturevalue(request.param)


def hook_weight(doc: dict[str, Any]) -> int:
    return int(doc["metadata"]["annotations"]["helm.sh/hook-weight"])


# --- the chart as Helm and Kubernetes see it ------------------------------------------------


def test_the_chart_lints_clean_in_strict_mode():
    for values in (None, {"secrets": SECRETS}, production_values()):
        report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBERNETES[0]}")
        problems = [m for m in report["messages"] if m["severity"] >= 2]
        assert report["errors"] == [] and problems == [], report


def test_the_app_version_is_the_package_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with helm.Chart.load(CHART) as loaded:
        assert loaded.metadata["appVersion"] == version


@pytest.mark.parametrize("kubernetes", KUBERNETES)
def test_every_manifest_is_valid_kubernetes(release: Release, kubernetes: str):
    validated = set()
    for doc in release.documents:
        if (doc["apiVersion"], doc["kind"]) in CRDS:
            continue
        kubernetes_validate.validate(doc, kubernetes, strict=True)
        validated.add(doc["kind"])
    assert validated >= {"Deployment", "Service", "ConfigMap", "Job", "ServiceAccount",
                         "NetworkPolicy", "PodDisruptionBudget"}


def test_the_production_example_renders_what_a_national_deployment_needs(production: Release):
    kinds = {(doc["apiVersion"], doc["kind"]) for doc in production.documents}
    assert {("autoscaling/v2", "HorizontalPodAutoscaler"), ("networking.k8s.io/v1", "Ingress"),
            ("monitoring.coreos.com/v1", "ServiceMonitor")} <= kinds
    assert len(production.documents) == 18
    [ingress] = production.kind("Ingress")
    assert ingress["spec"]["tls"][0]["hosts"] == ["vmeste.gov.example"]
    assert "replicas" not in production.named("Deployment", f"{RELEASE}-vmeste-api")["spec"]


# --- migrations -----------------------------------------------------------------------------


def test_the_migration_job_is_a_hook_that_runs_before_the_pods(release: Release):
    [job] = release.kind("Job")
    annotations = job["metadata"]["annotations"]
    assert annotations[HOOK] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    pod = job["spec"]["template"]
    assert container(pod)["command"] + container(pod)["args"] == ["vmeste", "migrate"]
    assert pod["spec"]["restartPolicy"] == "Never"


def test_what_the_migration_job_reads_exists_when_hooks_run(release: Release):
    """Hooks run before the release's ordinary resources exist: the Job's ConfigMap,
    Secret and service account are hooks of lower weight, or made beforehand."""
    [job] = release.kind("Job")
    pod = job["spec"]["template"]
    refs = {("ConfigMap", ref["configMapRef"]["name"]) if "configMapRef" in ref
            else ("Secret", ref["secretRef"]["name"]) for ref in container(pod)["envFrom"]}
    refs.add(("ServiceAccount", pod["spec"]["serviceAccountName"]))
    existing = release.values.get("existingSecret")
    for kind, name in refs:
        if kind == "Secret" and existing:
            assert name == existing and not release.kind("Secret")
            continue
        needed = release.named(kind, name)
        assert needed["metadata"]["annotations"][HOOK] == "pre-install,pre-upgrade", name
        assert hook_weight(needed) < hook_weight(job)
        assert "before-hook-creation" in needed["metadata"]["annotations"][
            "helm.sh/hook-delete-policy"]
    # The pods themselves read the ordinary ConfigMap, which is no hook.
    assert HOOK not in release.named("ConfigMap", f"{RELEASE}-vmeste")["metadata"].get(
        "annotations", {})


def test_the_hook_copy_of_the_config_is_the_config(default: Release):
    assert default.named("ConfigMap", f"{RELEASE}-vmeste-migrate")["data"] == default.config()
    secrets = {doc["metadata"]["name"]: doc["stringData"] for doc in default.kind("Secret")}
    assert secrets == {f"{RELEASE}-vmeste": SECRETS, f"{RELEASE}-vmeste-migrate": SECRETS}


# --- probes ---------------------------------------------------------------------------------


def resolved_port(spec: dict[str, Any], probe: str) -> int:
    port = spec[probe]["httpGet"]["port"]
    if isinstance(port, int):
        return port
    [number] = [p["containerPort"] for p in spec["ports"] if p["name"] == port]
    return int(number)


def test_the_api_is_probed_on_healthz_and_readyz(release: Release):
    [api] = release.component("api")
    spec = container(api["spec"]["template"])
    assert spec["args"][:5] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    paths = {probe: spec[probe]["httpGet"]["path"]
             for probe in ("livenessProbe", "readinessProbe", "startupProbe")}
    assert paths == {"livenessProbe": "/healthz", "readinessProbe": "/readyz",
                     "startupProbe": "/healthz"}
    assert {resolved_port(spec, probe) for probe in paths} == {8000}
    # It keeps serving while it is taken out of rotation, before SIGTERM.
    assert spec["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]


def test_workers_and_the_scheduler_are_probed_on_the_health_port(release: Release):
    health = int(release.config()["VMESTE_HEALTH_PORT"])
    background = release.component("worker") + release.component("scheduler")
    assert len(background) >= 2
    for deployment in background:
        spec = container(deployment["spec"]["template"])
        assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert resolved_port(spec, probe) == health, deployment["metadata"]["name"]


# --- security -------------------------------------------------------------------------------


def test_every_container_runs_locked_down(release: Release):
    assert len(release.pods()) >= 4
    for pod in release.pods():
        spec = pod["spec"]
        assert spec["automountServiceAccountToken"] is False
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        context = container(pod)["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] > 0
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container(pod)["volumeMounts"]}
        # What the processes write (temporary files, the shared metrics) is an emptyDir.
        for path in ("/tmp", release.config()["PROMETHEUS_MULTIPROC_DIR"]):
            assert "emptyDir" in mounts[path], path


def test_no_secret_reaches_a_configmap_or_a_pod_spec(release: Release):
    for config in release.kind("ConfigMap"):
        assert not set(config["data"]) & set(SECRET_NAMES)
        assert not [value for value in config["data"].values()
                    if any(secret in value for secret in SECRETS.values())]
    for pod in release.pods():
        text = yaml.safe_dump(pod)
        assert not [secret for secret in SECRETS.values() if secret in text]
        assert not [name for name in SECRET_NAMES if name in text]


def test_the_pods_read_the_existing_secret_instead_of_the_charts(default: Release,
                                                                 production: Release):
    assert not production.kind("Secret")
    for release, secret in ((production, "vmeste-secrets"), (default, f"{RELEASE}-vmeste")):
        for pod in release.pods():
            [ref] = [ref["secretRef"]["name"] for ref in container(pod)["envFrom"]
                     if "secretRef" in ref]
            job = pod["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"
            assert ref == (f"{RELEASE}-vmeste-migrate" if job and release is default
                           else secret)
            assert ("checksum/secret" in pod["metadata"]["annotations"]) is (release is default)


def test_a_config_change_rolls_every_pod(chart: helm.Chart, default: Release):
    changed = render(chart, {"secrets": SECRETS, "config": {"VMESTE_LOG_LEVEL": "debug"}})
    before = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["annotations"]
              for d in default.kind("Deployment")}
    after = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["annotations"]
             for d in changed.kind("Deployment")}
    assert before.keys() == after.keys()
    for name in before:
        assert before[name]["checksum/config"] != after[name]["checksum/config"], name
        assert before[name]["checksum/secret"] == after[name]["checksum/secret"], name


# --- workers --------------------------------------------------------------------------------


def worker_queues(release: Release) -> dict[str, str | None]:
    """Each worker Deployment's --queues (None: every queue)."""
    found = {}
    for deployment in release.component("worker"):
        args = container(deployment["spec"]["template"])["args"]
        assert args[0] == "worker"
        found[deployment["metadata"]["name"]] = (
            args[args.index("--queues") + 1] if "--queues" in args else None)
    return found


def test_one_worker_deployment_per_group_on_its_queues(default: Release, production: Release):
    assert worker_queues(default) == {f"{RELEASE}-vmeste-worker-default": None}
    assert worker_queues(production) == {
        f"{RELEASE}-vmeste-worker-default": "notifications,domain_events,calendars,publics,"
                                              "incidents,privacy",
        f"{RELEASE}-vmeste-worker-deliveries": "deliveries"}
    deliveries = production.named("Deployment", f"{RELEASE}-vmeste-worker-deliveries")
    args = container(deliveries["spec"]["template"])["args"]
    assert args[1:5] == ["--processes", "2", "--threads", "16"]
    assert deliveries["spec"]["replicas"] == 4
    selectors = [tuple(sorted(d["spec"]["selector"]["matchLabels"].items()))
                 for d in production.kind("Deployment")]
    assert len(set(selectors)) == len(selectors), "no Deployment selects another's pods"


def test_a_values_file_replaces_the_default_group(chart: helm.Chart):
    release = render(chart, {"workers": {"groups": {
        "default": None, "everything": {"replicaCount": 2, "processes": 1, "threads": 8}}}})
    assert worker_queues(release) == {f"{RELEASE}-vmeste-worker-everything": None}


@pytest.mark.parametrize(("groups", "message"), [
    ({"default": {"queues": ["deliveries", "delivery"]}},
     "workers.groups.default.queues: delivery is not in workers.queues"),
    ({"default": {"queues": ["deliveries"]}},
     "workers.queues: no group consumes notifications"),
])
def test_every_queue_has_a_worker_and_no_worker_an_unknown_queue(chart: helm.Chart,
                                                                 groups: dict, message: str):
    with pytest.raises(helm.HelmRenderError, match=message):
        render(chart, {"workers": {"groups": groups}})


def test_keda_scales_each_group_on_its_queues(chart: helm.Chart):
    values = production_values()
    values["keda"] = {"enabled": True, "queueLength": 50}
    values["config"]["VMESTE_QUEUE_PREFIX"] = "region42"
    release = render(chart, values)
    scaled = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in release.kind("ScaledObject")}
    assert scaled.keys() == set(worker_queues(release))
    triggers = scaled[f"{RELEASE}-vmeste-worker-default"]["spec"]["triggers"]
    assert [t["metadata"]["queueName"] for t in triggers] == [
        "region42.notifications", "region42.domain_events", "region42.calendars",
        "region42.publics", "region42.incidents", "region42.privacy"]
    assert {t["metadata"]["value"] for t in triggers} == {"50"}
    assert {t["metadata"]["hostFromEnv"] for t in triggers} == {"VMESTE_BROKER_URL"}
    assert not [d for d in release.component("worker") if "replicas" in d["spec"]]


# --- network --------------------------------------------------------------------------------


def test_the_ingress_routes_graphql_and_never_metrics(production: Release):
    [ingress] = production.kind("Ingress")
    paths = [(path["path"], path["backend"]["service"]["port"]["name"])
             for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert paths == [("/graphql", "http")]
    assert not [path for path, _ in paths if path == "/" or path.startswith("/metrics")]


def test_network_policies_open_only_the_ports_each_pod_serves(production: Release):
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in production.kind("NetworkPolicy")}
    api, background = (policies[f"{RELEASE}-vmeste-{name}"] for name in ("api", "background"))
    [rule] = api["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for peer in rule["from"]] == ["ingress-nginx", "monitoring"]
    [rule] = background["ingress"]
    assert rule["ports"] == [{"port": "health", "protocol": "TCP"}]
    assert [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for peer in rule["from"]] == ["monitoring"]


def test_metrics_are_scraped_from_the_cluster_only(production: Release):
    for pod in production.pods():
        annotations = pod["metadata"]["annotations"]
        if pod["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate":
            assert "prometheus.io/scrape" not in annotations
            continue
        port = int(annotations["prometheus.io/port"])
        assert port in [p["containerPort"] for p in container(pod)["ports"]]
        assert annotations["prometheus.io/path"] == "/metrics"
    [monitor] = production.kind("ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    [pods] = production.kind("PodMonitor")
    assert pods["spec"]["podMetricsEndpoints"][0]["port"] == "health"


# --- values the schema refuses ----------------------------------------------------------------


@pytest.mark.parametrize(("values", "where"), [
    ({"api": {"replicaCount": -1}}, "/api/replicaCount"),
    ({"scheduler": {"replicaCount": -2}}, "/scheduler/replicaCount"),
    ({"image": {"tag": 1.2}}, "/image/tag"),
    ({"replicas": 3}, "additional properties 'replicas' not allowed"),
    ({"config": {"VMESTE_DATABASE_URL": "postgres://x@db/vmeste"}}, "VMESTE_DATABASE_URL"),
    ({"config": {"VMESTE_SECRET_KEY": "k" * 40}}, "VMESTE_SECRET_KEY"),
    ({"config": {"VMESTE_OIDC_JWKS_URL": "https://user:pw@idp/jwks"}},
     "/config/VMESTE_OIDC_JWKS_URL"),
    ({"config": {"VMESTE_INTROSPECTION": False}}, "/config/VMESTE_INTROSPECTION"),
    ({"api": {"readinessProbe": {"httpGet": {"path": "readyz", "port": "http"}}}},
     "/api/readinessProbe/httpGet/path"),
    ({"workers": {"livenessProbe": {"httpGet": {"path": "healthz", "port": "health"}}}},
     "/workers/livenessProbe/httpGet/path"),
    ({"ingress": {"hosts": [{"host": "v.example",
                             "paths": [{"path": "/metrics", "pathType": "Prefix"}]}]}},
     "/ingress/hosts/0/paths/0/path"),
    ({"ingress": {"hosts": [{"host": "v.example",
                             "paths": [{"path": "/", "pathType": "Prefix"}]}]}},
     "/ingress/hosts/0/paths/0/path"),
    ({"securityContext": {"readOnlyRootFilesystem": False}},
     "/securityContext/readOnlyRootFilesystem"),
    ({"podSecurityContext": {"runAsNonRoot": False}}, "/podSecurityContext/runAsNonRoot"),
    ({"existingSecret": "mine", "secrets": {"VMESTE_SECRET_KEY": "k" * 40}}, "/secrets"),
    ({"workers": {"groups": {"Deliveries_1": {"replicaCount": 1, "processes": 1, "threads": 1}}}},
     "Deliveries_1"),
    ({"health": {"port": 8000}}, "/health/port"),
])
def test_the_schema_refuses_bad_values(chart: helm.Chart, values: dict, where: str):
    with pytest.raises(helm.HelmValuesError, match="schema") as refused:
        render(chart, values)
    assert where in str(refused.value)
    assert helm.lint(CHART, values)["errors"], "lint reports it too"


def test_the_templates_keep_secrets_out_without_the_schema(tmp_path: Path):
    """`helm install --skip-schema-validation` still never puts a secret in a ConfigMap."""
    copy = shutil.copytree(CHART, tmp_path / "vmeste")
    (copy / "values.schema.json").unlink()
    with helm.Chart.load(copy) as unchecked:
        render(unchecked, {"config": {"VMESTE_LOG_LEVEL": "debug"}})  # fine without it
        refused = re.escape("config.VMESTE_BROKER_URL is a secret")
        with pytest.raises(helm.HelmRenderError, match=refused):
            render(unchecked, {"config": {"VMESTE_BROKER_URL": "amqp://u:p@mq:5672/"}})
