import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from personalization import kt


class Command(BaseCommand):
    help = (
        "Evaluate knowledge-tracing models on a response log in the exchange format "
        "(user_id,item_id,skill_ids,correct,timestamp) with pyKT's protocol: 20% of learners "
        "held out (or the learners of --test), K folds by learner on the rest, windows of 200 "
        "responses; prints AUC and accuracy on the test learners (mean ± std over the folds)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, help="CSV file in the exchange format")
        parser.add_argument(
            "--test",
            help="CSV file whose learners are the test set (they are left out of training)",
        )
        parser.add_argument(
            "--model", default="all", choices=[*kt.MODEL_KINDS, "all"], help="default: all"
        )
        parser.add_argument("--folds", type=int, default=5, help="default: 5")
        parser.add_argument(
            "--max-folds",
            type=int,
            help="train only the first N folds (quick experiments; report full runs)",
        )
        parser.add_argument("--seed", type=int, default=0, help="default: 0")
        parser.add_argument("--json", dest="json_out", help="also write the results here as JSON")
        parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")

    def handle(self, *args, **options):
        if options["folds"] < 1:
            raise CommandError("--folds must be at least 1")
        if options["max_folds"] is not None and options["max_folds"] < 1:
            raise CommandError("--max-folds must be at least 1")
        kt.configure_threads(options["threads"])
        kinds = list(kt.MODEL_KINDS) if options["model"] == "all" else [options["model"]]
        try:
            dataset = kt.read_csv(options["data"])
            test_users = None
            if options["test"]:
                test = kt.read_csv(options["test"])
                test_users = test.users
                rest = dataset.without(test_users)
                dataset = kt.Dataset(rest.sequences + test.sequences, rest.users + test.users)
            results = kt.evaluate(
                dataset,
                kinds,
                folds=options["folds"],
                test_users=test_users,
                seed=options["seed"],
                max_folds=options["max_folds"],
                log=self._progress if options["verbosity"] >= 1 else None,
            )
        except kt.DataError as exc:
            raise CommandError(str(exc)) from None
        except kt.LeakageError as exc:
            raise CommandError(f"Leakage: {exc}") from None
        self.stdout.write(self._table(results))
        if options["json_out"]:
            clean = {
                kind: {k: (None if math.isnan(v) else v) for k, v in row.items()}
                for kind, row in results.items()
            }
            try:
                Path(options["json_out"]).write_text(json.dumps(clean, indent=2) + "\n")
            except OSError as exc:
                raise CommandError(f"cannot write {options['json_out']}: {exc}") from None

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    @staticmethod
    def _table(results: dict) -> str:
        header = f"{'model':<10}  {'AUC':<15}  {'accuracy':<15}  {'train s':>8}  {'predict ms':>10}"
        lines = [header, "-" * len(header)]
        for kind, r in results.items():
            lines.append(
                f"{kind:<10}  {r['auc_mean']:.4f} ± {r['auc_std']:.4f}  "
                f"{r['acc_mean']:.4f} ± {r['acc_std']:.4f}  "
                f"{r['train_seconds']:>8.1f}  {r['predict_ms']:>10.2f}"
            )
        return "\n".join(lines)
