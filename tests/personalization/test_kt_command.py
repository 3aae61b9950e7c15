"""manage.py kt_evaluate: the table, the JSON, the --test file and bad input."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from personalization import kt
from tests.personalization.test_kt import simulate, write_csv, write_dataset

KEYS = {"auc_mean", "auc_std", "acc_mean", "acc_std", "train_seconds", "predict_ms"}


def run(*args) -> str:
    out = io.StringIO()
    call_command("kt_evaluate", *args, "--threads", "1", stdout=out)
    return out.getvalue()


def test_evaluate_prints_a_table_and_writes_the_json_shape(tmp_path):
    # given a response log
    data = write_dataset(tmp_path / "log.csv", simulate(n_learners=60, length=20))
    out_path = tmp_path / "out.json"
    # when the classical model is evaluated with 2 folds
    printed = run(
        "--data", str(data), "--model", "classical", "--folds", "2", "--json", str(out_path)
    )
    # then a table is printed and the JSON has one entry per model with the agreed keys
    assert "AUC" in printed
    assert "classical" in printed.splitlines()[-1]
    result = json.loads(out_path.read_text())
    assert set(result) == {"classical"}
    assert set(result["classical"]) == KEYS
    assert 0.5 < result["classical"]["auc_mean"] <= 1.0


def test_test_file_learners_are_the_test_set_and_left_out_of_training(tmp_path, monkeypatch):
    # given a log and a test file sharing learner u1 (whose rows in the log must not be used)
    dataset = simulate(n_learners=30, length=10)
    data = write_dataset(tmp_path / "log.csv", dataset)
    test = write_csv(tmp_path / "test.csv", ["u1,x1,kp1,1,1", "u1,x2,kp1,0,2", "new,x1,kp1,1,1"])
    seen = {}

    def fake_evaluate(ds, kinds, **options):
        seen["dataset"], seen["options"] = ds, options
        return {"classical": dict.fromkeys(KEYS, 0.5)}

    monkeypatch.setattr(kt, "evaluate", fake_evaluate)
    # when the command runs with --test
    run("--data", str(data), "--test", str(test), "--model", "classical")
    # then the test learners are those of the test file, with the test file's responses only
    assert seen["options"]["test_users"] == ["u1", "new"]
    ds = seen["dataset"]
    assert ds.users.count("u1") == 1
    assert ds.sequences[ds.users.index("u1")].items == ["x1", "x2"]
    assert len(ds) == 31


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (["a,q1,kp1,1,1"], "user_id,item_id,correct,timestamp", "missing column"),
        (["a,q1,kp1,2,1"], "user_id,item_id,skill_ids,correct,timestamp", "0 or 1"),
        (["a,q1,kp1,yes,1"], "user_id,item_id,skill_ids,correct,timestamp", "0 or 1"),
        (["a,q1,kp1,1,noon"], "user_id,item_id,skill_ids,correct,timestamp", "number"),
        ([], "user_id,item_id,skill_ids,correct,timestamp", "no responses"),
    ],
)
def test_bad_input_is_a_clear_command_error(tmp_path, rows, header, message):
    # given a malformed file
    path = write_csv(tmp_path / "bad.csv", rows, header=header)
    # when it is evaluated
    # then the command fails with a readable message
    with pytest.raises(CommandError, match=message):
        run("--data", str(path))


def test_an_empty_or_missing_file_is_a_clear_command_error(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CommandError, match="empty"):
        run("--data", str(tmp_path / "empty.csv"))
    with pytest.raises(CommandError, match="no such file"):
        run("--data", str(tmp_path / "absent.csv"))


def test_too_few_learners_is_a_clear_command_error(tmp_path):
    # given a log whose only learner has two responses
    path = write_csv(tmp_path / "short.csv", ["a,q1,kp1,1,1", "a,q2,kp1,0,2"])
    # when it is evaluated, then it says why nothing can be evaluated
    with pytest.raises(CommandError, match="test learners"):
        run("--data", str(path))
