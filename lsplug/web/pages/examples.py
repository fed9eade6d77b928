"""Label config templates offered on the setup page (a library replaces this list later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigTemplate:
    """A named label config to start from."""

    group: str
    title: str
    config: str


def label_config_templates() -> list[ConfigTemplate]:
    """The templates the setup page lists, grouped by the kind of data."""
    return [
        ConfigTemplate("Text", "Named entities", NER),
        ConfigTemplate("Text", "Text classification", TEXT_CLASSES),
        ConfigTemplate("Images", "Bounding boxes", BOXES),
        ConfigTemplate("Images", "Image classification", IMAGE_CLASSES),
    ]


NER = """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/>
    <Label value="ORG" background="darkorange"/>
    <Label value="LOC" background="orange"/>
    <Label value="MISC" background="green"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>
"""
TEXT_CLASSES = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>
"""
BOXES = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" background="green"/>
    <Label value="Person" background="blue"/>
  </RectangleLabels>
</View>
"""
IMAGE_CLASSES = """<View>
  <Image name="image" value="$image"/>
  <Choices name="choice" toName="image">
    <Choice value="Cat"/>
    <Choice value="Dog"/>
  </Choices>
</View>
"""
