"""kt_train: models trained on a CSV or the school's answers, activated only when better."""

import random

import pytest
from django.core.management import CommandError, call_command

from lms.models import Role
from personalization import kt
from personalization.models import ModelVersion, StudyPlan
from personalization.services import training
from personalization.services.learner import learner_refresh
from personalization.services.training import interactions_from_database, model_train
from tests.factories import EnrollmentFactory, member
from tests.personalization.conftest import take


def _write_csv(path, learners=60, length=30, seed=1):
    """Learners with an ability each answering three skills; harder skills fail more."""
    rng = random.Random(seed)
    lines = ["user_id,item_id,skill_ids,correct,timestamp"]
    for user in range(learners):
        ability = rng.gauss(0, 1)
        for t in range(length):
            skill = t % 3
            p = 1 / (1 + pow(2.718, -(ability - skill + 0.1 * t)))
            lines.append(f"u{user},q{skill}_{t % 5},s{skill},{int(rng.random() < p)},{t + 1}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_model_trained_on_a_csv_is_recorded_but_never_activated(db, tmp_path, capsys):
    # given
    data = _write_csv(tmp_path / "log.csv")
    # when
    call_command("kt_train", "--csv", str(data))
    # then (its ids are not the school's questions and knowledge points)
    version = ModelVersion.objects.get()
    assert not version.is_active
    assert version.learners == 60
    assert version.interactions == 60 * 30
    assert version.metrics["auc"] > 0.6
    assert "Not activated" in capsys.readouterr().out


def test_a_model_no_better_than_the_active_one_is_kept_but_not_activated(db, tmp_path, capsys):
    # given an active model
    data = _write_csv(tmp_path / "log.csv")
    sequences = kt.read_csv(data).sequences
    first = model_train(sequences=sequences, kind="classical", source="first").version
    assert first.is_active
    # when the same training runs again (same learners held out: the same score)
    result = model_train(sequences=sequences, kind="classical", source="second")
    # then
    second = ModelVersion.objects.exclude(pk=first.pk).get()
    assert not second.is_active
    assert ModelVersion.objects.get(is_active=True) == first
    assert not result.activated
    assert second.metrics["active_auc_same_learners"] == pytest.approx(first.metrics["auc"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read"),
        ("user_id,item_id\n1,2\n", "Cannot read"),
        ("user_id,item_id,skill_ids,correct,timestamp\nu1,q1,s1,1,1\n", "too few learners"),
    ],
)
def test_kt_train_refuses_bad_input_clearly(db, tmp_path, content, message):
    path = tmp_path / "log.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("kt_train", "--csv", str(path))
    assert not ModelVersion.objects.exists()


def test_training_on_the_database_and_predicting_with_the_new_model(plan_world):
    # given eight students with answers in time order
    course, school = plan_world["course"], plan_world["a"]["school"]
    students = [member(school, Role.STUDENT, username=f"learner{i}") for i in range(8)]
    for i, student in enumerate(students):
        EnrollmentFactory(student=student, course=course)
        take(student, plan_world["test"], [i % 2 == 0, i % 3 == 0, True, i > 3])
        take(student, plan_world["test"], [True, i % 2 == 0, True, i > 2])
    # when
    sequences = interactions_from_database()
    result = model_train(sequences=sequences, kind="classical", source="database")
    # then every learner's answers are there, oldest first
    assert len(sequences) == 8
    assert all(len(s) == 8 for s in sequences)
    assert result.version.learners == 8
    # and, once active, the workers' refresh predicts with it
    if not result.activated:
        training.model_activate(version=result.version)
    plan = learner_refresh(student_id=students[0].pk)
    assert StudyPlan.objects.get(pk=plan.pk).model_version == result.version


def test_the_nightly_retrain_waits_for_enough_new_answers(plan_world, monkeypatch):
    # given a few answers, fewer than the threshold
    take(plan_world["student"], plan_world["test"], [True] * 4)
    # then
    assert training.models_retrain() == []
    assert not ModelVersion.objects.exists()
    # when the threshold is low enough, it trains, but needs enough learners to score
    monkeypatch.setattr(training, "RETRAIN_MIN_NEW", 1)
    assert training.models_retrain(kinds=("classical",)) == []  # one learner: skipped
