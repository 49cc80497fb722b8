"""Nearest-facility surfaces: the multi-source search and the department batch command."""
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy.sparse.csgraph import dijkstra

from geoservices.models import Facility
from ops import jobs
from ops.models import Job
from routing import services
from routing.estimate import OFFROAD_ACCESS
from routing.models import RoadRegion, SurfaceNode, SurfaceRun
from routing.surfaces import nearest_facility_times

pytestmark = pytest.mark.django_db

#: Ayacucho: no city graph, so its surface runs on the MTC lines only.
AYACUCHO = "05"


def _graph(slug: str, mode: str):
    return services.load_graph(RoadRegion.objects.get(slug=slug).graph_files[mode])


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_surface_is_min_over_facilities(mode):
    graph = _graph("callao-ventanilla", mode)
    rng = np.random.default_rng(7)
    facility_nodes = rng.choice(graph.n_nodes, size=15)
    # Two facilities share a node with different egress walks.
    facility_nodes[1] = facility_nodes[0]
    egress_s = rng.uniform(0.0, 600.0, size=15)

    times_s, nearest = nearest_facility_times(graph, facility_nodes, egress_s)

    transposed = graph.adjacency.transpose().tocsr()
    per_facility = np.array([dijkstra(transposed, indices=int(n)) + e for n, e in zip(facility_nodes, egress_s)])
    np.testing.assert_allclose(times_s, per_facility.min(axis=0), rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose(per_facility[nearest, np.arange(graph.n_nodes)], times_s, rtol=1e-9, atol=1e-5)
    assert nearest[facility_nodes[0]] == (0 if egress_s[0] <= egress_s[1] else 1)


def test_surface_without_facilities_unreached():
    graph = _graph("callao-ventanilla", "walk")
    times_s, nearest = nearest_facility_times(graph, np.empty(0, dtype=int), np.empty(0))
    assert np.all(np.isinf(times_s))
    assert np.all(nearest == -1)


def test_command_stores_ayacucho_surface():
    out = StringIO()
    call_command("compute_surfaces", department=[AYACUCHO], mode="walk", stdout=out)
    assert "created: 1, updated: 0, skipped: 0, failed: 0" in out.getvalue()

    run = SurfaceRun.objects.get(department_id=AYACUCHO, mode="walk")
    assert run.region.slug == "peru-mtc"
    assert run.surface_nodes.count() == run.nodes
    assert 0 < run.reached <= run.nodes
    assert run.surface_nodes.filter(travel_time_s__isnull=False).count() == run.reached

    # Check a few stored nodes against a search from the node itself to every facility.
    graph = _graph("peru-mtc", "walk")
    facilities = list(Facility.objects.filter(is_searchable=True, location__isnull=False))
    nodes, egress_m = graph.nearest_nodes([f.location.x for f in facilities], [f.location.y for f in facilities])
    on_graph = egress_m <= OFFROAD_ACCESS.max_distance_m
    egress_s = OFFROAD_ACCESS.leg(egress_m)[1]
    for row in run.surface_nodes.exclude(travel_time_s=None).order_by("node")[:: max(run.reached // 5, 1)]:
        times = dijkstra(graph.adjacency, indices=row.node)[nodes] + egress_s
        best = np.flatnonzero(on_graph)[np.argmin(times[on_graph])]
        assert row.travel_time_s == pytest.approx(times[best], rel=1e-9)
        assert row.facility_id is not None
        assert row.location.x == pytest.approx(graph.node_lon[row.node])


def test_command_rerun_replaces_rows():
    call_command("compute_surfaces", department=[AYACUCHO], mode="drive", stdout=StringIO())
    first = SurfaceRun.objects.get(department_id=AYACUCHO, mode="drive")
    out = StringIO()
    call_command("compute_surfaces", department=[AYACUCHO], mode="drive", stdout=out)
    assert "created: 0, updated: 1" in out.getvalue()
    assert SurfaceRun.objects.filter(department_id=AYACUCHO, mode="drive").count() == 1
    assert SurfaceNode.objects.filter(run__department_id=AYACUCHO, run__mode="drive").count() == first.nodes


def test_unknown_department_rejected():
    with pytest.raises(CommandError, match="'99'"):
        call_command("compute_surfaces", department=["99"], stdout=StringIO())


def test_surfaces_run_as_job(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("compute_surfaces", department=[AYACUCHO], mode="walk")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress == 1.0
    assert "05 peru-mtc walk" in job.output
    assert SurfaceRun.objects.filter(department_id=AYACUCHO, mode="walk").exists()
