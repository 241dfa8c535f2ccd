"""`estimator count`: parse options, call estimator.tokens.count_tokens, render."""

from __future__ import annotations

import click

from estimator.cli.errors import friendly_errors
from estimator.present.render import FORMATS

FORMATS_IN = ("jsonl", "json", "text", "lines", "csv", "tsv", "parquet")
ENCODING_NAMES = ("cl100k_base", "o200k_base", "p50k_base", "r50k_base")


@click.command("count")
@click.argument("paths", nargs=-1, required=True)
@click.option("--model", "model_id", help="Model id from the catalog: picks tokenizer, chat overhead, context, API cap.")
@click.option("--encoding", type=click.Choice(ENCODING_NAMES), help="tiktoken encoding (overrides the model's).")
@click.option("--format-in", type=click.Choice(FORMATS_IN), help="Force the input format (default: from the file name).")
@click.option("--column", help="Column holding the text (CSV, TSV, Parquet).")
@click.option("--example-cap", type=click.IntRange(min=1), help="Per-example billing cap in tokens (default: the API's).")
@click.option("--seq-len", type=click.IntRange(min=1), help="Training sequence length: report padded vs packed tokens.")
@click.option("--micro-batch", type=click.IntRange(min=1), default=1, show_default=True, help="Micro-batch size for padding.")
@click.option("--workers", type=click.IntRange(min=1), help="Processes to use (default: all cores; with --scheduler local, "
              "the LocalCluster's workers).")
@click.option("--scheduler", help="Run the shards on Dask: 'local' starts a LocalCluster, tcp://host:8786 uses a running "
              "cluster (needs estimator[dask]).")
@click.option("--sample", type=click.FloatRange(min=0, max=1, min_open=True), help="Count this fraction of random shards; report a 95% CI.")
@click.option("--sample-bytes", type=click.IntRange(min=1), help="Count about this many bytes of random shards; report a 95% CI.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed for --sample.")
@click.option("--strict", is_flag=True, help="Fail on the first broken line instead of reporting it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--tokenizer", "tokenizer_file", type=click.Path(exists=True, dir_okay=False),
              help="Hugging Face tokenizer.json for an exact count (needs the 'tokenizers' package).")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(dir_okay=False, readable=False),
              help="Extra YAML catalog merged over the bundled tables (repeatable; also $ESTIMATOR_CATALOG).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@friendly_errors
def count(paths, model_id, encoding, format_in, column, example_cap, seq_len, micro_batch, workers, scheduler, sample,
          sample_bytes, seed, strict, quiet, tokenizer_file, catalogs, fmt):
    """Count the tokens of a dataset (files, directories, globs) and what training on it bills.

    \b
    estimator count estimator/data/examples/catalog_qa.jsonl --model gpt-4o-mini
    estimator count corpus/ --sample 0.01 --workers 8
    estimator count s3://bucket/shards/*.jsonl.gz --scheduler local
    """
    from estimator.present.render import render_record, render_rows, to_json
    from estimator.tokens import count_tokens

    if sample is not None and sample_bytes is not None:
        raise click.UsageError("give --sample or --sample-bytes, not both")
    profile = count_tokens(list(paths), model=model_id, catalogs=catalogs, encoding=encoding, example_cap=example_cap,
                           format_in=format_in, column=column, seq_len=seq_len, micro_batch=micro_batch,
                           workers=workers, sample=sample, sample_bytes=sample_bytes, seed=seed, strict=strict,
                           progress=not quiet, tokenizer_file=tokenizer_file, scheduler=scheduler)
    d = profile.to_dict()
    if d["tokenizer_source"]:
        click.echo(f"note: counted exactly with {model_id}'s own tokenizer, found in {d['tokenizer_source']}", err=True)
    check = d["factor_check"]
    if check and fmt == "table":
        click.echo(f"note: approximate: {check['summary']}", err=True)
    if fmt == "json":
        click.echo(to_json(d))
        return
    click.echo(render_record(profile.summary_rows(), fmt))
    if profile.sample and profile.sample.get("complete") and fmt == "table":
        click.echo("note: the dataset is smaller than the sample: every block was counted, so the figures are exact",
                   err=True)
    findings = [f.as_dict() for f in profile.findings.items]
    if d["skipped_lines"] and fmt != "csv":
        click.echo(f"\nskipped {d['skipped_lines']:,} line(s) with an error finding: not counted, as the consumer of "
                   "the format would reject them")
    if findings and fmt != "csv":
        shown = sum(profile.findings.counts.values())
        click.echo(f"\nfindings ({shown:,} in all; first {len(findings)} shown):")
        click.echo(render_rows(findings, fmt, columns=["file", "line", "kind", "message"]))
