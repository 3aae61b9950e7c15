from django.core.management.base import BaseCommand, CommandError

from personalization import kt
from personalization.services.training import interactions_from_database, model_train


class Command(BaseCommand):
    help = (
        "Train a knowledge-tracing model on the school's answers (or an exchange-format CSV), "
        "record it as a model version with its validation metrics, and activate it if it "
        "predicts held-out learners better than the active model."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--csv",
            help="Train on this exchange-format file instead (recorded, never activated: its "
            "question and knowledge-point ids are not the school's).",
        )
        parser.add_argument("--model", default="classical", choices=kt.MODEL_KINDS)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-activate", action="store_true", help="Record the version only.")
        parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch.")

    def handle(self, *args, **options):
        kt.configure_threads(options["threads"])
        if options["csv"]:
            try:
                sequences = kt.read_csv(options["csv"]).sequences
            except (OSError, kt.DataError) as error:
                raise CommandError(f"Cannot read {options['csv']}: {error}") from error
            source = f"csv: {options['csv']}"
        else:
            sequences = interactions_from_database()
            source = "database"
        try:
            result = model_train(
                sequences=sequences,
                kind=options["model"],
                source=source,
                seed=options["seed"],
                activate=not (options["no_activate"] or options["csv"]),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        version, metrics = result.version, result.version.metrics
        auc = "—" if metrics["auc"] is None else f"{metrics['auc']:.4f}"
        active = "—" if result.active_auc is None else f"{result.active_auc:.4f}"
        self.stdout.write(
            f"Model version {version.pk} ({version.kind}) on {version.learners} learners, "
            f"{version.interactions} answers: validation AUC {auc} "
            f"(active model on the same learners: {active}); trained in "
            f"{metrics['train_seconds']:.1f} s."
        )
        if result.activated:
            self.stdout.write(self.style.SUCCESS("Activated: the workers now predict with it."))
        else:
            self.stdout.write("Not activated.")
