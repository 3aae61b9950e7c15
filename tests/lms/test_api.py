"""Permission matrix and bad input for every lms endpoint."""

import pytest

from tests.helpers import PEOPLE


def assert_error(response, status, code):
    assert response.status_code == status
    body = response.json()
    assert body["type"] in {"client_error", "validation_error"}
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["detail"]


@pytest.mark.parametrize("person", PEOPLE)
def test_me(as_person, school_world, person):
    response = as_person(person).get("/api/v1/lms/me/")
    if person == "anonymous":
        assert_error(response, 401, "not_authenticated")
        return
    assert response.status_code == 200
    body = response.json()
    own_school = "b" if person == "other_school_admin" else "a"
    assert [m["school"]["slug"] for m in body["memberships"]] == [f"school-{own_school}"]


@pytest.mark.parametrize("person", PEOPLE)
def test_school_list(as_person, person):
    response = as_person(person).get("/api/v1/lms/schools/")
    if person == "anonymous":
        assert_error(response, 401, "not_authenticated")
        return
    assert response.status_code == 200
    slugs = [school["slug"] for school in response.json()["results"]]
    assert slugs == (["school-b"] if person == "other_school_admin" else ["school-a"])


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 401),
        ("student", ["Class A1"]),
        ("teacher", ["Class A1", "Class A2"]),
        ("admin", ["Class A1", "Class A2"]),
        ("other_school_admin", 404),
    ],
)
def test_classroom_list(as_person, school_world, person, expected):
    school = school_world["a"]["school"]
    response = as_person(person).get(f"/api/v1/lms/schools/{school.pk}/classrooms/")
    if expected == 401:
        assert_error(response, 401, "not_authenticated")
    elif expected == 404:
        assert_error(response, 404, "not_found")
    else:
        assert response.status_code == 200
        assert [c["name"] for c in response.json()["results"]] == expected


def test_classroom_list_shows_homeroom_teachers_and_counts(as_person, school_world):
    school = school_world["a"]["school"]
    body = as_person("admin").get(f"/api/v1/lms/schools/{school.pk}/classrooms/").json()
    first = body["results"][0]
    assert first["student_count"] == 1
    assert [t["id"] for t in first["homeroom_teachers"]] == [school_world["a"]["teacher"].pk]


def test_classroom_list_query_count_does_not_grow_with_rows(
    as_person, school_world, django_assert_max_num_queries
):
    from tests.factories import ClassroomFactory

    school = school_world["a"]["school"]
    for n in range(20):
        ClassroomFactory(school=school, name=f"Extra {n}").homeroom_teachers.add(
            school_world["a"]["teacher"]
        )
    client = as_person("admin")
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/lms/schools/{school.pk}/classrooms/")
    assert response.json()["count"] == 22


@pytest.mark.parametrize("school_id", ["999999", "abc", "-1", "1" * 30])
def test_classroom_list_of_unknown_school_is_404(as_person, school_id):
    response = as_person("admin").get(f"/api/v1/lms/schools/{school_id}/classrooms/")
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("page", ["0", "abc", "999"])
def test_bad_page_number_is_404_not_500(as_person, page):
    response = as_person("admin").get(f"/api/v1/lms/schools/?page={page}")
    assert_error(response, 404, "not_found")


def test_unknown_api_url_gets_the_json_error_shape(as_person):
    assert_error(as_person("admin").get("/api/v1/lms/nothing-here/"), 404, "not_found")


def test_write_methods_on_read_only_endpoints_are_405(as_person):
    response = as_person("admin").post("/api/v1/lms/schools/", {}, content_type="application/json")
    assert_error(response, 405, "method_not_allowed")


def test_session_writes_need_the_csrf_token(client, school_world):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(school_world["a"]["admin"])
    response = csrf_client.delete("/api/v1/lms/auth/token/")
    assert_error(response, 403, "permission_denied")


def test_malformed_json_is_a_400(client, school_world):
    response = client.post("/api/v1/lms/auth/token/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_openapi_schema_and_docs_are_served_without_cdns(client, db):
    schema = client.get("/api/schema/", headers={"accept": "application/json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/lms/schools/{school_id}/classrooms/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html
    assert "unpkg" not in html
