"""Sources: rendered folders and files, kustomize trees, the kfp-gcp and GKE patches, the
rendered cache, version checks, the tools, and the demo set."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kfwizard.engine.errors import BadInput, Refused, StepFailed
from kfwizard.manifests import load_manifests, load_rendered, tools
from kfwizard.manifests.analysis import images
from kfwizard.manifests.demo import demo_manifests_dir
from kfwizard.manifests.objects import ManifestError, parse_file
from kfwizard.manifests.patches import GKE_CNI_BIN_DIR, split_documents
from kfwizard.manifests.sources import describe_source, kustomize_root

from .conftest import KFP, KFP_TREE, KUBEFLOW, have_renderer, kfp_set, need_fixtures


def load(sel: dict, cache: Path, **kw):
    lines: list[str] = []
    result = load_manifests(sel, cache, lines.append, **kw)
    return result, lines


def outputs_of(s) -> dict:
    return {
        "rendered_dir": str(s.rendered_dir),
        "files": s.files,
        "mode": s.mode,
        "version": s.version,
        "env": s.env,
        "source": s.source,
        "hashes": {p.path.name: p.sha256 for p in s.parts},
    }


def test_rendered_folder_2_17(tmp_path: Path) -> None:
    need_fixtures()
    sel = {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "platform-agnostic",
        "manifests": str(KFP / "2.17.0"),
    }
    found, lines = load(sel, tmp_path)
    assert [p.name for p in found.parts] == ["cluster-scoped-resources", "env-platform-agnostic"]
    assert found.rendered_dir is not None
    assert found.rendered_dir.parent == tmp_path / "rendered"
    assert found.rendered_dir.name.startswith("kfp-standalone-2.17.0-platform-agnostic-")
    assert [Path(f).name for f in found.files] == [
        "00-cluster-scoped-resources.yaml",
        "01-env-platform-agnostic.yaml",
    ]
    assert (
        Path(found.files[1]).read_bytes()
        == (KFP / "2.17.0" / "env-platform-agnostic.yaml").read_bytes()
    )
    assert len(found.objects) == 16 + 72
    assert all(m.source in found.files for m in found.objects)
    assert (found.requests.cpu_m, found.requests.memory_mib) == (674, 3126)
    assert found.has_pvcs and {p["name"] for p in found.pvcs} == {"mysql-pv-claim", "seaweedfs-pvc"}
    assert found.namespaces == ["kubeflow"] and found.namespaces_used == ["kubeflow"]
    assert found.image_versions["app_version"] == "2.17.0"
    assert found.image_versions["api_server_tag"] == "2.17.0"
    assert len(found.crds) == 11 and found.counts_by_kind["Deployment"] == 14
    assert found.counts_by_tier == {
        "namespaces-and-crds": 12,
        "cluster-scoped": 3,
        "namespaced": 73,
    }
    assert 180 < found.time_estimate_seconds < 600
    summary = found.summary()
    assert summary["objects"] == 88 and summary["tiers"][0]["wait_crds"]
    assert any("Reading rendered YAML" in line for line in lines)


def test_rendered_cache_is_written_once(tmp_path: Path) -> None:
    sel = {"mode": "kfp-standalone", "version": "2.17.0", "manifests": str(demo_manifests_dir())}
    first, _ = load(sel, tmp_path)
    stamp = Path(first.files[0]).stat().st_mtime_ns
    second, _ = load(sel, tmp_path)
    assert second.rendered_dir == first.rendered_dir
    assert Path(second.files[0]).stat().st_mtime_ns == stamp
    assert not (tmp_path / "tmp").exists() or not any((tmp_path / "tmp").iterdir())


def test_missing_env_file_names_what_exists(tmp_path: Path) -> None:
    need_fixtures()
    sel = {
        "mode": "kfp-standalone",
        "version": "1.8.5",
        "env": "gcp",
        "manifests": str(KFP / "1.8.5"),
    }
    load(sel, tmp_path)  # exists
    folder = tmp_path / "partial"
    folder.mkdir()
    shutil.copy(KFP / "1.8.5" / "cluster-scoped-resources.yaml", folder)
    shutil.copy(KFP / "1.8.5" / "env-dev.yaml", folder)
    with pytest.raises(StepFailed) as caught:
        load({**sel, "manifests": str(folder)}, tmp_path)
    assert "env-gcp.yaml" in caught.value.cause and "env-dev.yaml" in (caught.value.action or "")


def test_missing_path_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        load({"mode": "kfp-standalone", "manifests": str(tmp_path / "nowhere")}, tmp_path)
    assert caught.value.field == "deployment.manifests"


def test_version_mismatch_names_both(tmp_path: Path) -> None:
    need_fixtures()
    sel = {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "platform-agnostic",
        "manifests": str(KFP / "1.8.5"),
    }
    with pytest.raises(StepFailed) as caught:
        load(sel, tmp_path)
    assert "KFP 1.8.5" in caught.value.cause and "2.17.0" in caught.value.cause
    assert not (tmp_path / "rendered").exists()


def test_master_images_in_local_files_are_refused(tmp_path: Path) -> None:
    need_fixtures()
    sel = {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "dev",
        "manifests": str(KFP / "2.17.0"),
    }
    with pytest.raises(Refused) as caught:
        load(sel, tmp_path)
    assert "dev-master-images" in caught.value.cause and caught.value.exit_code == 2
    assert any(":master" in d for d in caught.value.details)


def test_single_file_and_folder_of_yaml(tmp_path: Path) -> None:
    need_fixtures()
    single = tmp_path / "all.yaml"
    single.write_text(
        (KFP / "1.8.5" / "cluster-scoped-resources.yaml").read_text()
        + "---\n"
        + (KFP / "1.8.5" / "env-platform-agnostic.yaml").read_text()
    )
    found, _ = load(
        {"mode": "kfp-standalone", "version": "1.8.5", "manifests": str(single)}, tmp_path
    )
    assert [p.name for p in found.parts] == ["all"] and len(found.objects) == 81
    assert found.tiers[0].objects[0].kind == "Namespace"
    assert describe_source({"manifests": str(single)}) == "rendered"
    assert describe_source({}) == "archive"


def test_bad_file_in_a_folder_names_it(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n"
    )
    (folder / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [}\n")
    with pytest.raises(ManifestError) as caught:
        load({"mode": "kubeflow", "manifests": str(folder)}, tmp_path / "cache")
    assert caught.value.source == str(folder / "b.yaml") and caught.value.line == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StepFailed, match=r"no \.yaml files"):
        load({"mode": "kubeflow", "manifests": str(empty)}, tmp_path / "cache")


def test_size_limit_applies_to_sources(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="over the 1,000-byte limit"):
        load(
            {"mode": "kfp-standalone", "version": "2.17.0", "manifests": str(demo_manifests_dir())},
            tmp_path,
            max_bytes=1000,
        )


def test_kfp_gcp_fills_inputs_and_never_the_password(tmp_path: Path) -> None:
    need_fixtures()
    gcp = {
        "bucket": "kfp-artifacts",
        "cloudsql_instance": "my-proj-1:us-central1:kfp-db",
        "db_user": "kfp",
    }
    sel = {
        "mode": "kfp-gcp",
        "version": "1.8.5",
        "manifests": str(KFP / "1.8.5"),
        "gcp": gcp,
        "project": "my-proj-1",
    }
    found, lines = load(sel, tmp_path)
    assert found.env == "gcp"
    text = Path(found.files[1]).read_text()
    assert "yourGcsBucketName" not in text and "yourCloudSqlInstanceName" not in text
    objs = {(m.kind, m.name): m.obj for m in found.objects}
    config = objs[("ConfigMap", "pipeline-install-config")]["data"]
    assert (config["bucketName"], config["gcsProjectId"], config["gcsCloudSqlInstanceName"]) == (
        "kfp-artifacts",
        "my-proj-1",
        "my-proj-1:us-central1:kfp-db",
    )
    argo = objs[("ConfigMap", "workflow-controller-configmap")]["data"]
    assert any('bucket: "kfp-artifacts"' in value for value in argo.values())
    secret = objs[("Secret", "mysql-secret")]
    assert secret["stringData"] == {"password": "", "username": "kfp"}
    assert found.secret_inputs == [
        {
            "namespace": "kubeflow",
            "name": "mysql-secret",
            "key": "password",
            "prompt": "Cloud SQL password for user kfp",
            "env": "KFWIZARD_CLOUDSQL_PASSWORD",
        }
    ]
    assert any("password is asked at apply time" in line for line in lines)
    # unchanged documents keep their exact rendered bytes
    original = split_documents((KFP / "1.8.5" / "env-gcp.yaml").read_text())
    patched = split_documents(text)
    assert (
        len(original) == len(patched)
        and sum(a != b for a, b in zip(original, patched, strict=True)) == 3
    )


def test_kfp_gcp_bad_input_names_the_field(tmp_path: Path) -> None:
    need_fixtures()
    sel = {
        "mode": "kfp-gcp",
        "version": "1.8.5",
        "manifests": str(KFP / "1.8.5"),
        "gcp": {"bucket": "ok-bucket", "cloudsql_instance": "just-a-name"},
    }
    with pytest.raises(BadInput) as caught:
        load(sel, tmp_path)
    assert caught.value.field == "deployment.gcp.cloudsql_instance"


def test_kubeflow_render_gets_the_gke_overlay(tmp_path: Path) -> None:
    need_fixtures()
    found, lines = load(
        {"mode": "kubeflow", "version": "26.03", "env": "gke", "manifests": str(KUBEFLOW)}, tmp_path
    )
    assert len(found.objects) == 675 and [p.name for p in found.parts] == ["example"]
    [cni] = [m for m in found.objects if m.kind == "DaemonSet"]
    paths = {
        v["name"]: v.get("hostPath", {}).get("path")
        for v in cni.obj["spec"]["template"]["spec"]["volumes"]
    }
    assert paths["cni-bin-dir"] == GKE_CNI_BIN_DIR
    original = (KUBEFLOW / "example.yaml").read_text()
    written = Path(found.files[0]).read_text()
    changed = [
        (a, b)
        for a, b in zip(split_documents(original), split_documents(written), strict=True)
        if a != b
    ]
    assert len(changed) == 1 and "istio-cni-node" in changed[0][0]
    assert found.image_versions["app_version"] == "2.16.0"
    assert found.counts_by_tier["profile"] == 1
    assert "kube-system" in found.namespaces_used and "kube-system" not in found.namespaces
    assert any("GKE overlay" in line for line in lines)


def test_kubeflow_example_target_is_left_alone(tmp_path: Path) -> None:
    need_fixtures()
    small = tmp_path / "src"
    small.mkdir()
    docs = [
        d
        for d in split_documents((KUBEFLOW / "example.yaml").read_text())
        if "istio-cni-node" in d and "kind: DaemonSet" in d
    ]
    (small / "cni.yaml").write_text("".join(docs))
    found, _ = load({"mode": "kubeflow", "env": "example", "manifests": str(small)}, tmp_path)
    assert "/opt/cni/bin" in Path(found.files[0]).read_text()


def test_load_rendered_roundtrip_and_tamper_detection(tmp_path: Path) -> None:
    sel = {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "dev",
        "manifests": str(demo_manifests_dir()),
    }
    found, _ = load(sel, tmp_path)
    again = load_rendered(outputs_of(found))
    assert [m.ref for m in again.objects] == [m.ref for m in found.objects]
    assert [t.name for t in again.tiers] == [t.name for t in found.tiers]
    assert [p.name for p in again.parts] == ["cluster-scoped-resources", "env-dev"]
    assert again.tiers[-1].objects[-1].kind == "Application"
    Path(found.files[1]).write_text(Path(found.files[1]).read_text() + "\n# edited\n")
    with pytest.raises(StepFailed, match="changed since the plan"):
        load_rendered(outputs_of(found))
    assert load_rendered(outputs_of(found), verify=False).objects
    os.remove(found.files[0])
    with pytest.raises(StepFailed, match="is missing"):
        load_rendered(outputs_of(found))
    with pytest.raises(StepFailed, match="not recorded"):
        load_rendered({})


# -- kustomize trees and tools --------------------------------------------------------------


def test_kustomize_root_detection() -> None:
    need_fixtures()
    root = KFP_TREE / "manifests" / "kustomize"
    assert kustomize_root(KFP_TREE, "kfp-standalone") == root
    assert kustomize_root(root, "kfp-standalone") == root
    assert kustomize_root(KFP / "2.17.0", "kfp-standalone") is None
    assert kustomize_root(KFP_TREE, "kubeflow") is None
    assert describe_source({"manifests": str(KFP_TREE)}) == "tree"


@pytest.mark.needs_kubectl
@pytest.mark.skipif(not have_renderer(), reason="neither kubectl nor kustomize is installed")
@pytest.mark.parametrize("env", ["platform-agnostic", "dev"])
def test_kustomize_render_equals_the_rendered_fixtures(tmp_path: Path, env: str) -> None:
    need_fixtures()
    sel = {"mode": "kfp-standalone", "version": "1.8.5", "env": env, "manifests": str(KFP_TREE)}
    found, lines = load(sel, tmp_path)
    assert found.source.startswith("kustomize tree")
    assert any(line.startswith("Rendering with ") for line in lines)
    assert found.tools[0]["name"] == "kustomize" and found.tools[0]["state"] in ("pass", "warn")
    expected = [KFP / "1.8.5" / "cluster-scoped-resources.yaml", KFP / "1.8.5" / f"env-{env}.yaml"]
    renderer = tools.find_renderer()
    for got, want in zip(found.files, expected, strict=True):
        if renderer.version == "v5.5.0":  # the version the fixtures were rendered with
            assert Path(got).read_bytes() == want.read_bytes()
        assert list(yaml.safe_load_all(Path(got).read_text())) == list(
            yaml.safe_load_all(want.read_text())
        )
    assert len(found.objects) == len(kfp_set("1.8.5", env))


def test_missing_tools_name_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(StepFailed) as caught:
        tools.find_renderer(which=lambda name: None)
    assert "kubectl" in caught.value.cause and "gcloud components install kubectl" in (
        caught.value.action or ""
    )
    found = tools.find_renderer(
        which=lambda name: "/opt/kustomize" if name == "kustomize" else None
    )
    assert found.kind == "kustomize" and found.argv(Path("x")) == ["/opt/kustomize", "build", "x"]


def test_remote_bases_need_git(tmp_path: Path) -> None:
    tree = tmp_path / "kustomize"
    (tree / "base").mkdir(parents=True)
    (tree / "env" / "x").mkdir(parents=True)
    (tree / "unused").mkdir()
    (tree / "base" / "kustomization.yaml").write_text(
        "resources:\n- https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v4.0.5\n"
        "- https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml\n"
    )
    (tree / "env" / "x" / "kustomization.yaml").write_text("resources:\n- ../../base\n- cm.yaml\n")
    (tree / "unused" / "kustomization.yaml").write_text("resources:\n- github.com/a/b?ref=v1\n")
    refs = tools.remote_refs(tree / "env" / "x")
    assert len(refs) == 2 and all("github.com/a/b" not in r for r in refs)
    assert [tools.needs_git(r) for r in refs] == [True, False]
    with pytest.raises(StepFailed) as caught:
        tools.require_git_for(refs, which=lambda name: None)
    assert "git" in caught.value.cause and "apt-get install git" in (caught.value.action or "")
    assert tools.require_git_for(refs, which=lambda name: "/usr/bin/git") == "/usr/bin/git"
    assert tools.require_git_for(refs[1:], which=lambda name: None) is None


@pytest.mark.skipif(not have_renderer(), reason="neither kubectl nor kustomize is installed")
def test_render_failure_shows_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    with pytest.raises(StepFailed) as caught:
        tools.render(tools.find_renderer(), bad, tmp_path / "out.yaml", log=lambda line: None)
    assert "could not render" in caught.value.cause and caught.value.details


# -- the demo set ----------------------------------------------------------------------------


def demo(env: str) -> list:
    folder = demo_manifests_dir()
    return parse_file(folder / "cluster-scoped-resources.yaml") + parse_file(
        folder / f"env-{env}.yaml"
    )


def test_demo_matches_the_2_17_shape() -> None:
    need_fixtures()
    ours = {m.name: m for m in demo("platform-agnostic") if m.kind == "Deployment"}
    upstream = {m.name: m for m in kfp_set("2.17.0", "platform-agnostic") if m.kind == "Deployment"}
    assert set(ours) == set(upstream) and len(ours) == 14

    def main_image(m) -> str:
        return m.obj["spec"]["template"]["spec"]["containers"][-1]["image"]

    assert {n: main_image(m) for n, m in ours.items()} == {
        n: main_image(m) for n, m in upstream.items()
    }
    objs = demo("platform-agnostic")
    crds = [m for m in objs if m.is_crd]
    assert 3 <= len(crds) <= 4
    assert all(
        v["schema"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"]
        for m in crds
        for v in m.obj["spec"]["versions"]
    )
    services = {
        m.name: [(p["port"], p["targetPort"]) for p in m.obj["spec"]["ports"]]
        for m in objs
        if m.kind == "Service"
    }
    assert services["ml-pipeline"] == [(8888, 8888), (8887, 8887)]
    assert services["ml-pipeline-ui"] == [(80, 3000)]
    assert {m.name for m in objs if m.kind == "PersistentVolumeClaim"} == {
        "mysql-pv-claim",
        "seaweedfs-pvc",
    }
    assert len(objs) < len(kfp_set("2.17.0", "platform-agnostic"))
    assert all(":master" not in i for i in images(objs))


def test_demo_dev_adds_the_proxy() -> None:
    base = {(m.kind, m.name) for m in demo("platform-agnostic")}
    dev = Counter((m.kind, m.name) for m in demo("dev"))
    assert base <= set(dev) and max(dev.values()) == 1
    assert set(dev) - base == {
        ("Deployment", "proxy-agent"),
        ("ConfigMap", "inverse-proxy-config"),
        ("ServiceAccount", "proxy-agent-runner"),
        ("Role", "proxy-agent-runner"),
        ("RoleBinding", "proxy-agent-runner"),
        ("Application", "pipeline"),
    }


def test_demo_is_package_data() -> None:
    from importlib.resources import files

    names = {p.name for p in files("kfwizard.manifests.demo").iterdir()}
    assert {"cluster-scoped-resources.yaml", "env-platform-agnostic.yaml", "env-dev.yaml"} <= names


def test_external_kinds_are_reported(tmp_path: Path) -> None:
    need_fixtures()
    sel = {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "cert-manager/platform-agnostic-k8s-native",
        "manifests": str(KFP / "2.17.0"),
    }
    found = load(sel, tmp_path)
    # the env is not offered by the wizard, but a rendered folder can still be read
    assert found[0].external_kinds == ["cert-manager.io/Certificate", "cert-manager.io/Issuer"]
    demo_set, _ = load({"mode": "kfp-standalone", "manifests": str(demo_manifests_dir())}, tmp_path)
    assert demo_set.external_kinds == []
    assert demo_set.version == "2.17.0" and demo_set.env == "platform-agnostic"


def test_tool_report_names_each_tool() -> None:
    found = tools.report()
    assert set(found) == {"kubectl", "kustomize", "git"}
    if shutil.which("kubectl"):
        assert "kustomize" in (found["kubectl"] or "")
