"""The label config: the tag catalogue, every error message, safety, task data and results."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lxml import etree

from lsplug import labelconfig
from lsplug.labelconfig import LabelConfigError, check_task_data, parse, result_problem
from lsplug.labelconfig.catalogue import DATA_KINDS, TAGS

# Valid configs that between them use every tag of the catalogue (checked below).
VALID = [
    """<View style="display: flex">
      <Style>.big { font-size: 20px }</Style>
      <Header value="Label the text" size="3"/>
      <Filter name="f" toName="ner" minlength="1"/>
      <Labels name="ner" toName="text" choice="multiple"><Label value="PER" hotkey="p"/></Labels>
      <Text name="text" value="$text" granularity="word"/>
      <Relations><Relation value="knows"/></Relations>
      <Choices name="sentiment" toName="text" choice="single-radio"><Choice value="Pos"/></Choices>
      <Taxonomy name="topic" toName="text"><Choice value="Sci"><Choice value="Maths"/></Choice>
      </Taxonomy>
      <TextArea name="note" toName="text"><Shortcut value="ok" hotkey="o"/></TextArea>
      <Rating name="stars" toName="text" icon="heart"/>
      <Number name="n" toName="text" min="0"/>
      <DateTime name="when" toName="text" only="date"/>
      <Collapse accordion="true"><Panel value="More"><Text name="more" value="$more"/></Panel>
      </Collapse>
    </View>""",
    """<View>
      <Image name="image" value="$image" zoom="true" defaultZoom="fit"/>
      <RectangleLabels name="box" toName="image" canRotate="false"><Label value="A"/>
      </RectangleLabels>
      <PolygonLabels name="poly" toName="image" pointStyle="circle"><Label value="A"/>
      </PolygonLabels>
      <KeyPointLabels name="kp" toName="image"><Label value="A"/></KeyPointLabels>
      <BrushLabels name="brush" toName="image"><Label value="A"/></BrushLabels>
      <EllipseLabels name="ell" toName="image"><Label value="A"/></EllipseLabels>
      <Rectangle name="r" toName="image"/><Polygon name="p" toName="image"/>
      <KeyPoint name="k" toName="image"/><Brush name="b" toName="image"/>
      <Ellipse name="e" toName="image"/>
    </View>""",
    """<View>
      <Audio name="audio" value="$audio"/><AudioPlus name="audio2" value="$audio2"/>
      <Labels name="speaker" toName="audio2"><Label value="S1"/></Labels>
      <Video name="video" value="$video"/>
      <VideoRectangle name="track" toName="video"/>
      <HyperText name="html" value="$html"/>
      <HyperTextLabels name="hl" toName="html"><Label value="X"/></HyperTextLabels>
      <Paragraphs name="dialogue" value="$dialogue" layout="dialogue"/>
      <ParagraphLabels name="pl" toName="dialogue"><Label value="Q"/></ParagraphLabels>
      <Table name="table" value="$table"/>
      <TimeSeries name="ts" value="$ts" valueType="json" timeColumn="t">
        <Channel column="v"/></TimeSeries>
      <TimeSeriesLabels name="tsl" toName="ts"><Label value="Run"/></TimeSeriesLabels>
      <List name="items" value="$items"/><Ranker name="rank" toName="items"/>
      <Text name="a" value="$a"/><Text name="b" value="$b"/>
      <Pairwise name="pw" toName="a,b"/>
    </View>""",
]


def errors_of(xml: str) -> list[str]:
    with pytest.raises(LabelConfigError) as info:
        parse(xml)
    return info.value.errors


def one_error(xml: str) -> str:
    (error,) = errors_of(xml)
    return error


# --- the catalogue --------------------------------------------------------------------------


def test_every_tag_of_the_catalogue_is_used_in_a_valid_config():
    used = {el.tag for xml in VALID for el in etree.fromstring(xml).iter()}
    assert set(TAGS) - used == set()
    for xml in VALID:
        parse(xml)


@pytest.mark.parametrize("spec", TAGS.values(), ids=list(TAGS))
def test_catalogue_entry_is_consistent(spec):
    assert spec.kind in ("object", "control", "option", "layout")
    assert set(spec.required) <= set(spec.attrs), "a required attribute must be listed"
    for allowed in spec.attrs.values():
        assert allowed is None or (allowed and all(v == v.lower() for v in allowed))
    assert spec.data is None or spec.data in DATA_KINDS
    for target in spec.targets:
        assert target == "*" or TAGS[target].kind == "object"
    for option in spec.options:
        assert TAGS[option].kind == "option" and spec.name in TAGS[option].parents
    for parent in spec.parents:
        assert parent in TAGS
    if spec.kind == "object":
        assert spec.data and "name" in spec.attrs and "value" in spec.required
    if spec.kind == "control":
        assert spec.results and all(r == r.lower() for r in spec.results)
        assert spec.name == "Relations" or spec.targets
    if spec.needs_options:
        assert spec.options


def test_the_public_names_are_importable_from_the_package():
    for name in ("parse", "LabelConfig", "LabelConfigError", "ObjectTag", "ControlTag",
                 "check_task_data", "allowed_types", "example_data", "OBJECT_TAGS"):  # fmt: skip
        assert hasattr(labelconfig, name)
    assert "Text" in labelconfig.OBJECT_TAGS and "Labels" not in labelconfig.OBJECT_TAGS


# --- what a valid config gives --------------------------------------------------------------


def test_a_config_gives_its_controls_objects_and_data_types():
    config = parse(VALID[0])
    assert config.data_types == {"text": "Text", "more": "Text"}
    assert config.controls["ner"].labels == ("PER",)
    assert config.controls["ner"].result_type == "labels"
    assert config.controls["topic"].labels == ("Sci", "Maths")
    assert config.objects["text"].value_key == "text"


def test_tag_names_are_read_in_any_case_like_the_editor():
    config = parse('<view><text name="t" value="$t"/><choices name="c" toName="t">'
                   '<choice value="A"/></choices></view>')  # fmt: skip
    assert config.controls["c"].tag == "Choices" and config.data_types == {"t": "Text"}


def test_a_header_reading_a_key_adds_it_to_the_data_types():
    assert parse('<View><Header value="$title"/></View>').data_types == {"title": "Header"}


def test_a_leading_comment_supplies_the_example_task():
    config = parse('<!-- {"data": {"text": "Hello"}} -->\n<View><Text name="t" value="$text"/>'
                   "</View>")  # fmt: skip
    assert labelconfig.example_data(config) == {"text": "Hello"}


# --- every error, naming the line, the tag and the fix ----------------------------------------


def test_an_unknown_tag_names_the_closest_known_one():
    error = one_error('<View>\n<Text name="t" value="$t"/>\n<Choises name="c" toName="t"/></View>')
    assert error.startswith("line 3: <Choises> is not a tag")
    assert "did you mean <Choices>?" in error


def test_an_unknown_tag_far_from_any_name_points_at_the_list():
    assert "see the list of tags" in one_error("<View><Zzyzx/></View>")


def test_a_missing_name_is_named_with_its_line():
    error = one_error('<View>\n<Text value="$t"/></View>')
    assert error == 'line 2, <Text>: the name attribute is required; add name="..."'


def test_a_missing_to_name_is_named():
    error = one_error('<View><Text name="t" value="$t"/><Choices name="c"><Choice value="A"/>'
                      "</Choices></View>")  # fmt: skip
    assert 'line 1, <Choices name="c">: the toName attribute is required' in error


def test_a_missing_value_of_an_object_tag_is_named():
    assert "the value attribute is required" in one_error('<View><Image name="i"/></View>')


def test_a_to_name_naming_no_tag_lists_the_object_tags():
    error = one_error('<View><Text name="t" value="$t"/><Rating name="r" toName="nowhere"/></View>')
    assert 'toName="nowhere" names no tag' in error and "(object tags: t)" in error


def test_a_to_name_naming_a_control_says_so():
    xml = (
        '<View><Text name="t" value="$t"/><Rating name="r" toName="t"/>'
        '<Number name="n" toName="r"/></View>'
    )
    assert 'toName="r" names <Rating>, which is not an object tag' in one_error(xml)


def test_a_to_name_naming_the_wrong_kind_of_object_names_the_right_ones():
    xml = (
        '<View><Text name="t" value="$t"/><RectangleLabels name="b" toName="t">'
        '<Label value="A"/></RectangleLabels></View>'
    )
    error = one_error(xml)
    assert "names a <Text>, but <RectangleLabels> labels only <Image>" in error


def test_duplicate_names_name_both_lines():
    error = one_error('<View>\n<Text name="a" value="$x"/>\n<Text name="a" value="$y"/></View>')
    assert error.startswith(
        'line 3, <Text name="a">: the name "a" is already used by <Text> on line 2'
    )


def test_a_control_without_labels_says_what_to_add():
    error = one_error('<View><Text name="t" value="$t"/><Labels name="l" toName="t"/></View>')
    assert 'it has no <Label> inside; add at least one <Label value="..."/>' in error


def test_an_attribute_value_out_of_its_set_lists_the_allowed_ones():
    xml = (
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t" choice="many">'
        '<Choice value="A"/></Choices></View>'
    )
    assert 'choice="many" is not allowed; use one of: single, single-radio, multiple' in one_error(
        xml
    )


def test_an_option_outside_its_control_says_where_it_belongs():
    assert "it must be inside <Choices>, <Taxonomy>, <Choice>" in one_error(
        '<View><Choice value="A"/></View>'
    )


def test_the_root_must_be_a_view():
    assert one_error("<Text/>") == "line 1: the root tag must be <View>, not <Text>"


def test_malformed_xml_names_line_and_column():
    assert re.match(r"line 2, column \d+: ", one_error("<View>\n<Text</View>"))


def test_an_empty_config_is_refused():
    assert "empty" in one_error("  ")


def test_a_leading_comment_that_is_not_json_is_refused():
    assert "not valid JSON" in one_error("<!-- {oops} --><View/>")


def test_every_problem_is_reported_at_once():
    xml = '<View><Txt name="a"/><Text value="$x"/><Rating name="r" toName="q"/></View>'
    assert len(errors_of(xml)) == 3


# --- safety -----------------------------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                    for i in range(1, 10))
          + ']><View><Header value="&lol9;"/></View>')  # fmt: skip


def test_a_billion_laughs_config_is_refused_fast():
    started = time.perf_counter()
    assert "DTDs and entities" in one_error(LAUGHS)
    assert time.perf_counter() - started < 0.1


def test_an_external_entity_config_reads_no_file(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (f'<!DOCTYPE v [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<View><Header value="&x;"/></View>')  # fmt: skip
    error = one_error(xml)
    assert "TOP-SECRET" not in error and "DTDs and entities" in error


def test_an_entity_reference_without_a_dtd_is_a_syntax_error_not_a_read():
    assert "line 1" in one_error('<View><Header value="&xxe;"/></View>')


def test_a_config_over_the_size_limit_is_refused():
    xml = "<View>" + " " * labelconfig.MAX_CONFIG_BYTES + "</View>"
    assert "larger than" in one_error(xml)


def test_a_200_tag_config_validates_in_under_5_ms():
    controls = "".join(
        f'<Choices name="c{i}" toName="t{i}"><Choice value="A"/><Choice value="B"/></Choices>'
        f'<Text name="t{i}" value="$k{i}"/>'
        for i in range(50)
    )
    xml = f"<View>{controls}</View>"
    assert sum(1 for _ in etree.fromstring(xml).iter()) >= 200
    parse(xml)
    best = min(_timed(parse, xml) for _ in range(5))
    assert best < 0.005, f"{best * 1000:.2f} ms"


def _timed(fn, arg) -> float:
    started = time.perf_counter()
    fn(arg)
    return time.perf_counter() - started


# --- task data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "good", "bad", "said"),
    [
        ("Text", 12, [1], "must be a string or a number for <Text>, not a list"),
        ("Image", "/a.png", 3, "must be a URL string for <Image>, not a number"),
        ("Audio", "/a.wav", {}, "must be a URL string for <Audio>, not an object"),
        ("Video", "/a.webm", None, "must be a URL string for <Video>, not null"),
        (
            "Paragraphs",
            [{"text": "hi"}],
            ["hi"],
            "must be a list of objects for <Paragraphs>, not a list holding a string",
        ),
        ("Table", {"a": 1}, [1], "must be an object for <Table>, not a list"),
        ("TimeSeries", {"t": [1]}, 5, "must be a URL string or an object of columns"),
    ],
)
def test_task_data_is_checked_for_the_type_each_tag_shows(tag, good, bad, said):
    assert check_task_data({"k": good}, {"k": tag}) is None
    assert check_task_data({"k": bad}, {"k": tag}) == f'"k" {said}' or said in str(
        check_task_data({"k": bad}, {"k": tag})
    )


def test_missing_task_data_names_the_key_and_the_tag():
    assert check_task_data({}, {"image": "Image"}) == (
        '"image" key is expected in task data (the config\'s <Image> reads $image)'
    )


# --- results ----------------------------------------------------------------------------------

NER = parse('<View><Labels name="label" toName="text"><Label value="PER"/></Labels>'
            '<Text name="text" value="$text"/>'
            '<Taxonomy name="topic" toName="text"><Choice value="A"><Choice value="B"/>'
            "</Choice></Taxonomy></View>")  # fmt: skip


def region(**changes):
    item = {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": 1, "labels": ["PER"]}}  # fmt: skip
    item.update(changes)
    return item


def test_a_fitting_result_passes():
    taxonomy = region(from_name="topic", type="taxonomy", value={"taxonomy": [["A", "B"]]})
    relation = {"type": "relation", "from_id": "a", "to_id": "b"}
    assert result_problem(NER, [region(), taxonomy, relation]) is None


@pytest.mark.parametrize(
    ("item", "said"),
    [
        (
            region(from_name="lbl"),
            'result[0]: from_name "lbl" is not a control of the label '
            "config (controls: label, topic)",
        ),
        (
            region(to_name="txt"),
            'result[0]: to_name "txt" is not what <Labels name="label"> points at (toName: text)',
        ),
        (
            region(type="choices"),
            'result[0]: type "choices" does not match <Labels name="label">, which gives "labels"',
        ),
        (
            region(value={"labels": ["ORG"]}),
            'result[0]: labels value "ORG" is not in <Labels name="label"> (has: PER)',
        ),
        ({"type": "relation", "from_id": "a"}, "result[0]: a relation needs to_id"),
    ],
)
def test_a_result_not_fitting_the_config_names_what_is_wrong(item, said):
    assert result_problem(NER, [item]) == said
