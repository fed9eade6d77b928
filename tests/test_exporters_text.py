"""CONLL2003, CSV, TSV and ASR_MANIFEST on hand-made tasks whose output is known."""

from __future__ import annotations

import csv
import io

import orjson

from lsplug.builtin.asr_exporter import ASR_MANIFEST_EXPORTER
from lsplug.builtin.conll_exporter import CONLL2003_EXPORTER
from lsplug.builtin.csv_exporters import CSV_EXPORTER, TSV_EXPORTER
from tests.exporting import run, task

NER = (
    '<View><Labels name="label" toName="text"><Label value="PER"/><Label value="LOC"/></Labels>'
    '<Choices name="mood" toName="text"><Choice value="ok"/></Choices>'
    '<Text name="text" value="$text"/></View>'
)
ASR = (
    '<View><Audio name="audio" value="$audio"/><TextArea name="transcript" toName="audio"/></View>'
)


def span(start: int, end: int, label: str) -> dict:
    return {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "labels": [label]},
    }


TEXT = "Ada Lovelace lived in London, Ünïted Kingdom."
NER_TASKS = [
    task(1, {"text": TEXT}, [span(0, 12, "PER"), span(22, 28, "LOC"), span(30, 44, "LOC")]),
    task(2, {"text": "Nobody here."}),
]


async def test_conll_tags_tokens_b_i_o_with_punctuation_split():
    out = (await run(CONLL2003_EXPORTER, NER, NER_TASKS)).decode()
    assert out == (
        "-DOCSTART- -X- O\n"
        "Ada -X- _ B-PER\nLovelace -X- _ I-PER\nlived -X- _ O\nin -X- _ O\n"
        "London -X- _ B-LOC\n, -X- _ O\nÜnïted -X- _ B-LOC\nKingdom -X- _ I-LOC\n. -X- _ O\n\n"
    )


async def test_conll_of_every_task_tags_the_unlabeled_one_o():
    out = (await run(CONLL2003_EXPORTER, NER, NER_TASKS, only_labeled=False)).decode()
    assert out.endswith("Nobody -X- _ O\nhere -X- _ O\n. -X- _ O\n\n")


async def test_conll_leaves_out_cancelled_completions_when_asked():
    skipped = [task(1, {"text": "Ada"}, [span(0, 3, "PER")], was_cancelled=True)]
    assert (
        await run(CONLL2003_EXPORTER, NER, skipped, include_cancelled=False)
        == b"-DOCSTART- -X- O\n"
    )


async def test_csv_has_data_id_controls_and_other_data_columns():
    tasks = [
        task(
            1,
            {"text": 'Ada, "Lady"', "source": "wiki"},
            [
                span(0, 3, "PER"),
                {"from_name": "mood", "type": "choices", "value": {"choices": ["ok"]}},
            ],
        )
    ]
    rows = list(csv.reader(io.StringIO((await run(CSV_EXPORTER, NER, tasks)).decode())))
    assert rows[0] == ["text", "id", "label", "mood", "other_data"]
    text, task_id, label, mood, other = rows[1]
    assert (text, task_id, mood) == ('Ada, "Lady"', "1", "ok")
    assert orjson.loads(label) == [{"start": 0, "end": 3, "labels": ["PER"]}]
    assert orjson.loads(other) == {"source": "wiki"}


async def test_tsv_is_tab_separated_and_only_labeled_by_default():
    out = (await run(TSV_EXPORTER, NER, NER_TASKS)).decode()
    lines = out.splitlines()
    assert lines[0] == "text\tid\tlabel\tmood\tother_data"
    assert len(lines) == 2 and lines[1].startswith(TEXT + "\t1\t")


async def test_asr_manifest_has_one_line_per_audio_with_its_transcript():
    tasks = [
        task(
            1,
            {"audio": "/data/upload/a.wav"},
            [{"from_name": "transcript", "type": "textarea", "value": {"text": ["héllo wörld"]}}],
        ),
        task(2, {"audio": "/data/upload/b.wav"}),
    ]
    lines = (await run(ASR_MANIFEST_EXPORTER, ASR, tasks, only_labeled=False)).splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"audio_filepath": "/data/upload/a.wav", "text": "héllo wörld"},
        {"audio_filepath": "/data/upload/b.wav", "text": ""},
    ]


def test_text_formats_fit_only_their_configs():
    from lsplug.labelconfig import parse

    assert not ASR_MANIFEST_EXPORTER.fits(parse(NER))
    assert not CONLL2003_EXPORTER.fits(parse(ASR))
