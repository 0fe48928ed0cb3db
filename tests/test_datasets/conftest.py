"""Shared fixtures: tiny PIN++ releases written in the release layout."""
import pytest

from .release_builder import rect, write_release


@pytest.fixture
def two_classes(tmp_path):
    classes = {
        'n00000002': dict(parts=[(7, 'tail'), (5, 'head')], images={
            'n00000002_1.JPEG': (12, 10, [(5, [rect(0, 0, 8, 8)]), (7, [rect(6, 6, 10, 9)])])}),
        'n00000001': dict(parts=[(1, 'body'), (2, 'window')], including=['window:body'], images={
            # the window is listed first and is smaller: containment, not order, puts it on top
            'n00000001_1.JPEG': (12, 10, [(2, [rect(3, 2, 6, 5)]), (1, [rect(1, 1, 9, 8)])]),
            'n00000001_2.JPEG': (12, 10, [(1, [rect(0, 0, 4, 4), rect(8, 6, 12, 10)])])}),
    }
    write_release(tmp_path, classes)
    return tmp_path
