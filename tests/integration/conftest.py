import pytest

from icegate_proc import Icegate


@pytest.fixture(scope="module")
def server():
    with Icegate() as s:
        yield s
        assert s.alive(), "icegate died during the tests:\n" + s.output()
