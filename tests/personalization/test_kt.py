"""Knowledge tracing: the protocol, the models and their storage, on tiny simulated data."""

import math
import subprocess
import sys

import numpy as np
import pytest

from personalization import kt
from personalization.kt.base import KTModel

SMALL_NEURAL = {"dim": 16, "hidden": 32, "heads": 2, "max_epochs": 8, "patience": 2}


def simulate(n_learners=160, n_items=24, n_skills=4, length=30, seed=0) -> kt.Dataset:
    """Learners with an ability per knowledge point that grows with practice."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0.0, 1.0, n_items)
    sequences, users = [], []
    for u in range(n_learners):
        ability = rng.normal(0.0, 1.2, n_skills) + rng.normal(0.0, 0.8)
        items, skills, correct = [], [], []
        for _ in range(length):
            q = int(rng.integers(n_items))
            s = q % n_skills
            p = 1.0 / (1.0 + math.exp(-(ability[s] - difficulty[q])))
            c = int(rng.random() < p)
            ability[s] += 0.15
            items.append(f"q{q}")
            skills.append([f"kp{s}"])
            correct.append(c)
        sequences.append(kt.History(items, skills, correct))
        users.append(f"u{u}")
    return kt.Dataset(sequences, users)


def small_neural():
    return kt.make_model("neural", **SMALL_NEURAL)


small_neural.kind = "neural"


def train(kind: str, sequences):
    if kind == "neural":
        return small_neural().fit(sequences)
    if kind == "ensemble":
        return kt.make_model("ensemble", neural=SMALL_NEURAL).fit(sequences)
    return kt.make_model(kind).fit(sequences)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models train fastest on one thread, and the suite may share the machine."""
    kt.configure_threads(1)


@pytest.fixture(scope="module")
def data() -> kt.Dataset:
    return simulate()


class TrainedModels(dict):
    """Each kind trained on the first 120 learners when a test first asks for it."""

    def __init__(self, sequences):
        super().__init__()
        self.sequences = sequences

    def __missing__(self, kind):
        self[kind] = train(kind, self.sequences)
        return self[kind]


@pytest.fixture(scope="module")
def models(data) -> dict[str, KTModel]:
    return TrainedModels(data.sequences[:120])


class CheatingModel(KTModel):
    """Reads the answer it is asked to predict."""

    kind = "cheater"

    def fit(self, sequences, *, valid=None):
        return self

    def predict_sequences(self, sequences):
        return [np.where(np.asarray(s.correct) == 1, 0.9, 0.1) for s in sequences]


class NextItemModel(KTModel):
    """Peeks more subtly: looks at which question comes after the one it predicts."""

    kind = "next-item peeker"

    def fit(self, sequences, *, valid=None):
        return self

    def predict_sequences(self, sequences):
        return [
            np.array([0.4 + 0.1 * (s.items[t + 1 : t + 2] == [s.items[t]]) for t in range(len(s))])
            for s in sequences
        ]


class SpyModel(KTModel):
    """Records what it is trained and tested on; predicts 0.5."""

    kind = "spy"
    trained_on: list = []
    predicted: list = []

    def fit(self, sequences, *, valid=None):
        SpyModel.trained_on.append(list(sequences))
        return self

    def predict_sequences(self, sequences):
        SpyModel.predicted.append(list(sequences))
        return [np.full(len(s), 0.5) for s in sequences]

    def _predict_next(self, history, item, skills, timestamp):
        return 0.5


def tagged(dataset: kt.Dataset) -> kt.Dataset:
    """The same data with each learner's id in front of every item id, to trace learners."""
    return kt.Dataset(
        [
            kt.History([f"{u}|{i}" for i in s.items], s.skills, s.correct, s.timestamps)
            for s, u in zip(dataset.sequences, dataset.users, strict=True)
        ],
        dataset.users,
    )


def learners_in(sequences) -> set[str]:
    return {item.split("|")[0] for s in sequences for item in s.items}


def write_csv(path, rows, header="user_id,item_id,skill_ids,correct,timestamp"):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def write_dataset(path, dataset: kt.Dataset):
    rows = [
        f"{u},{i},{'_'.join(sk)},{c},{ts:g}"
        for s, u in zip(dataset.sequences, dataset.users, strict=True)
        for i, sk, c, ts in zip(s.items, s.skills, s.correct, s.timestamps, strict=True)
    ]
    return write_csv(path, rows)


# the protocol


def test_a_model_that_reads_the_answer_is_caught_by_the_leakage_guard(data):
    # given a model whose prediction for response t reads correct[t]
    # when it is evaluated
    # then the harness refuses it, naming it
    with pytest.raises(kt.LeakageError, match="cheater"):
        kt.evaluate(data, [CheatingModel], folds=2)


def test_a_model_that_reads_the_next_question_is_caught_by_the_leakage_guard(data):
    # given a model that looks at the question after the one it predicts
    # when it is checked
    # then the guard catches it
    with pytest.raises(kt.LeakageError, match="next-item peeker"):
        kt.leakage_check(NextItemModel(), kt.windows(data.sequences))


@pytest.mark.parametrize("kind", kt.MODEL_KINDS)
def test_honest_models_pass_the_leakage_guard(models, data, kind):
    # given a trained model and held-out sequences
    held_out = kt.windows(data.sequences[120:], 200)
    # when the guard checks every held-out sequence
    # then it finds no peeking
    kt.leakage_check(models[kind], held_out, samples=len(held_out), seed=3)


def test_learners_are_split_between_test_set_and_folds_without_overlap():
    # given 50 learners
    users = [f"u{i}" for i in range(50)]
    # when they are split
    test, folds = kt.split_learners(users, folds=5, seed=1)
    # then a fifth is held out, each learner is in exactly one place, the split is repeatable
    placed = test + [u for fold in folds for u in fold]
    assert len(test) == 10
    assert sorted(placed) == sorted(users)
    assert len(folds) == 5
    assert kt.split_learners(users, folds=5, seed=1) == (test, folds)


def test_evaluation_trains_on_other_learners_than_it_tests_on(data):
    # given learners whose item ids carry their user id
    dataset = tagged(data)
    SpyModel.trained_on, SpyModel.predicted = [], []
    # when the protocol runs
    kt.evaluate(dataset, [SpyModel], folds=3)
    # then no test learner was trained on, in any fold
    test_learners = learners_in(SpyModel.predicted[0])
    assert len(test_learners) == round(0.2 * len(data))
    assert len(SpyModel.trained_on) == 3
    for train_set in SpyModel.trained_on:
        assert not learners_in(train_set) & test_learners


def test_given_test_learners_are_exactly_the_test_set(data):
    # given a fixed list of test learners
    dataset = tagged(data)
    chosen = ["u3", "u50", "u77"]
    SpyModel.trained_on, SpyModel.predicted = [], []
    # when the protocol runs with it
    kt.evaluate(dataset, [SpyModel], folds=2, test_users=chosen)
    # then exactly those learners are tested and none of them is trained on
    assert learners_in(SpyModel.predicted[0]) == set(chosen)
    assert not learners_in(SpyModel.trained_on[0]) & set(chosen)


def test_sequences_are_cut_into_windows_of_200():
    # given a learner with 450 responses
    history = kt.History(["q"] * 450, [["kp"]] * 450, [1, 0] * 225)
    # when it is windowed
    parts = kt.windows([history], 200)
    # then three independent windows cover it
    assert [len(w) for w in parts] == [200, 200, 50]


def test_rows_of_one_response_are_merged_and_rows_are_sorted_by_time(tmp_path):
    # given a multi-skill question expanded into two rows, rows out of time order, and a retry
    path = write_csv(
        tmp_path / "log.csv",
        [
            "a,q2,kp2,0,30",
            "a,q1,kp1,1,10",
            "a,q1,kp9,1,10",
            "a,q1,kp1,0,20",
            "b,q1,kp1_kp9,1,5",
        ],
    )
    # when it is read
    dataset = kt.read_csv(path)
    # then the two rows at time 10 are one response with both skills, the retry stays separate
    a = dataset.sequences[dataset.users.index("a")]
    assert a.items == ["q1", "q1", "q2"]
    assert a.skills == [["kp1", "kp9"], ["kp1"], ["kp2"]]
    assert a.correct == [1, 0, 0]
    assert dataset.sequences[dataset.users.index("b")].skills == [["kp1", "kp9"]]


# the models


@pytest.mark.parametrize("kind", kt.MODEL_KINDS)
def test_each_model_predicts_held_out_learners_better_than_chance(data, kind):
    # given tiny simulated data
    factory = small_neural if kind == "neural" else kind
    if kind == "ensemble":

        def factory():
            return kt.make_model("ensemble", neural=SMALL_NEURAL)

    # when a model is fitted on most learners and scored on the others
    model, metrics = kt.holdout_fit(data.sequences, factory, seed=0)
    # then it ranks right answers clearly above wrong ones
    assert metrics["auc"] > 0.65
    assert metrics["n_valid"] > 0
    assert metrics["train_seconds"] >= 0
    assert isinstance(model, KTModel)


@pytest.mark.parametrize("kind", [*kt.MODEL_KINDS, "cold start"])
def test_mastery_rises_after_right_answers_and_falls_after_wrong_ones(models, kind):
    # given a model and a learner's history
    model = kt.cold_start_model() if kind == "cold start" else models[kind]
    history = kt.History(["q1", "q5", "q2"], [["kp1"], ["kp1"], ["kp2"]], [1, 0, 1])

    def after(correct):
        return kt.History(
            [*history.items, "q9"], [*history.skills, ["kp1"]], [*history.correct, correct]
        )

    # when the learner answers another kp1 question right, or wrong
    before = model.mastery(history, ["kp1"])["kp1"]
    right = model.mastery(after(1), ["kp1"])["kp1"]
    wrong = model.mastery(after(0), ["kp1"])["kp1"]
    # then mastery of kp1 goes up, or down
    assert wrong < before < right


@pytest.mark.parametrize("kind", [*kt.MODEL_KINDS, "cold start"])
def test_unseen_items_and_skills_get_predictions(models, kind):
    # given a model that never saw question "new" nor knowledge point "kp77"
    model = kt.cold_start_model() if kind == "cold start" else models[kind]
    history = kt.History(["q1", "zz"], [["kp1"], ["kp66"]], [1, 0], [1700000000.0, 1700000060.0])
    # when it predicts and estimates mastery
    p = model.predict_next(history, item="new", skills=["kp77", "kp1"])
    mastery = model.mastery(history, skills=["kp1", "kp77"])
    fresh = model.predict_next(kt.History([], [], []), item="new", skills=[])
    # then it gives probabilities, and mastery of the history's own skills by default
    assert 0.0 < p < 1.0
    assert 0.0 < fresh < 1.0
    assert set(mastery) == {"kp1", "kp77"}
    assert all(0.0 <= v <= 1.0 for v in mastery.values())
    assert set(model.mastery(history)) == {"kp1", "kp66"}


@pytest.mark.parametrize("kind", kt.MODEL_KINDS)
def test_predict_next_agrees_with_predict_sequences(models, data, kind):
    # given a held-out learner
    model, seq = models[kind], data.sequences[150]
    # when each response is predicted from the ones before it, one at a time and all at once
    together = model.predict_sequences([seq])[0]
    one_by_one = [
        model.predict_next(seq.slice(0, t), seq.items[t], seq.skills[t]) for t in (0, 5, 29)
    ]
    # then both agree
    np.testing.assert_allclose(one_by_one, together[[0, 5, 29]], atol=1e-5)


@pytest.mark.parametrize("kind", [*kt.MODEL_KINDS, "cold start"])
def test_a_stored_model_predicts_exactly_as_before(models, data, tmp_path, kind):
    # given a model
    model = kt.cold_start_model() if kind == "cold start" else models[kind]
    held_out = data.sequences[120:130]
    # when it is stored and loaded, as bytes and as a file
    again = kt.loads(model.dumps())
    model.save(tmp_path / "model.kt")
    from_file = kt.load(tmp_path / "model.kt")
    # then the copies predict the same and know their kind
    expected = np.concatenate(model.predict_sequences(held_out))
    for copy in (again, from_file):
        assert copy.kind == model.kind
        np.testing.assert_allclose(np.concatenate(copy.predict_sequences(held_out)), expected)
        assert copy.mastery(held_out[0]) == pytest.approx(model.mastery(held_out[0]))


def test_loading_bytes_that_are_not_a_model_is_refused():
    with pytest.raises(kt.ModelFormatError):
        kt.loads(b"not a model")


def test_unknown_model_kind_is_refused():
    with pytest.raises(ValueError, match="unknown model kind"):
        kt.make_model("oracle")


def test_neural_training_is_deterministic_for_a_seed(data):
    # given the same data and seed
    # when the model is trained twice
    first = small_neural().fit(data.sequences[:40])
    second = small_neural().fit(data.sequences[:40])
    # then both predict the same
    held_out = data.sequences[150:]
    np.testing.assert_allclose(
        np.concatenate(first.predict_sequences(held_out)),
        np.concatenate(second.predict_sequences(held_out)),
        atol=1e-6,
    )


def test_the_package_and_classical_models_do_not_import_torch():
    # given a fresh interpreter
    code = (
        "import sys; from personalization import kt; m = kt.cold_start_model(); "
        "m.predict_next(kt.History(['a'], [['s']], [1]), 'b', ['s']); "
        "print('torch' in sys.modules)"
    )
    # when the package is used with a classical model
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # then torch was never imported
    assert out.stdout.strip() == "False"


def test_holdout_fit_on_one_learner_trains_but_reports_no_auc():
    # given a single learner
    history = kt.History(["q1", "q2", "q3"], [["kp1"]] * 3, [1, 0, 1])
    # when a model is fitted with a held-out share
    model, metrics = kt.holdout_fit([history], "classical")
    # then there is nobody to score, and the model still predicts
    assert metrics["auc"] is None
    assert metrics["n_valid"] == 0
    assert 0.0 < model.predict_next(history, "q1", ["kp1"]) < 1.0


@pytest.mark.parametrize("kind", ["classical", "neural"])
def test_models_use_real_timestamps_and_multi_skill_questions_without_peeking(data, kind):
    # given responses hours apart, to questions with two knowledge points each
    start = 1_700_000_000.0
    sequences = [
        kt.History(
            s.items,
            [[*row, f"kp{int(q[1:]) % 5}x"] for q, row in zip(s.items, s.skills, strict=True)],
            s.correct,
            [start + 3600.0 * t + 17.0 * (t % 3) for t in range(len(s))],
        )
        for s in data.sequences
    ]
    # when a model is trained on some learners and checked on the others
    model = train(kind, sequences[:120])
    kt.leakage_check(model, sequences[120:], samples=40)
    # then it predicts, also for a response a day after the last
    p = model.predict_next(sequences[130], "q3", ["kp3", "kp1x"], timestamp=start + 86400 * 40)
    assert 0.0 < p < 1.0
    assert np.concatenate(model.predict_sequences(sequences[120:])).min() > 0.0
