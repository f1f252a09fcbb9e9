"""The reference operations pass ONNX's own backend test cases for Conv, MaxPool, Relu and Softmax.

An outside check, written by other people: each case is a one-node ONNX model
with stored inputs and expected outputs. The cases come from two places in the
installed ``onnx`` package:

* the node test cases, produced by ``onnx.backend.test.case.node`` (the same
  generator that writes ``onnx/backend/test/data/node/test_*/``; the onnx wheel
  installed here ships the generator but not that data folder, so the test
  reads any stored ``data/node`` folder when present and the generator
  otherwise);
* the stored ``model.onnx`` + ``test_data_set_*/{input,output}_*.pb`` cases under
  ``data/pytorch-converted``, ``data/pytorch-operator`` and ``data/simple``.

ONNX works in NCHW and with (out, in, kH, kW) kernels; the test transposes to the
book's HWC and Keras kernel layout, and turns ONNX padding attributes
(``pads``, ``auto_pad`` SAME_UPPER / SAME_LOWER / VALID) into explicit pads.

Out of scope, each reported as a skipped test with its reason (onnx 1.23):

* 1-D and 3-D convolution and pooling (test_Conv1d*, test_Conv3d*,
  test_MaxPool1d*, test_MaxPool3d*, test_maxpool_1d_default,
  test_maxpool_3d_*, test_operator_maxpool): the book's layers are 2-D;
* dilation (test_Conv2d_dilated, test_maxpool_2d_dilations,
  test_MaxPool2d_stride_padding_dilation): the network refuses dilated
  Conv2D and Keras's MaxPooling2D has none;
* groups (test_Conv2d_groups*, test_Conv2d_depthwise*): grouped and
  depthwise convolution are not in the book;
* ceil_mode (test_maxpool_2d_ceil, test_maxpool_2d_ceil_output_size_reduce_by_one):
  Keras rounds pooling output sizes down (or pads with "same"); it has no ceil mode;
* graphs of more than one node (test_Softmin is Neg then Softmax).

test_maxpool_2d_uint8 runs on the uint8 values cast to float32 (exact both ways).
"""

from __future__ import annotations

import functools
import glob
import os
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402

from explainer_core.arithmetic import ops  # noqa: E402
from explainer_core.arithmetic.hyperparams import padding_amounts  # noqa: E402

OPS = ("Conv", "MaxPool", "Relu", "Softmax")
DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")


@dataclass
class Case:
    name: str
    source: str
    model: onnx.ModelProto
    data_sets: list  # [(inputs, outputs)], arrays in graph-input / graph-output order


def _read_tensor(path: str) -> np.ndarray:
    tensor = onnx.TensorProto()
    with open(path, "rb") as handle:
        tensor.ParseFromString(handle.read())
    return numpy_helper.to_array(tensor)


def _stored_cases() -> dict[str, Case]:
    cases = {}
    for folder in sorted(glob.glob(os.path.join(DATA, "*", "test_*"))):
        model_path = os.path.join(folder, "model.onnx")
        if not os.path.isfile(model_path):
            continue
        model = onnx.load_model(model_path)
        if not any(node.op_type in OPS for node in model.graph.node):
            continue
        data_sets = []
        for data_dir in sorted(glob.glob(os.path.join(folder, "test_data_set_*"))):
            inputs = [_read_tensor(p) for p in sorted(glob.glob(os.path.join(data_dir, "input_*.pb")))]
            outputs = [_read_tensor(p) for p in sorted(glob.glob(os.path.join(data_dir, "output_*.pb")))]
            data_sets.append((inputs, outputs))
        name = os.path.basename(folder)
        cases[name] = Case(name, os.path.relpath(folder, DATA), model, data_sets)
    return cases


def _generated_cases() -> dict[str, Case]:
    """Importing a generator module runs its exporters, which record their cases in the package."""
    import importlib

    from onnx.backend.test.case import node as generators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in ("conv", "maxpool", "relu", "softmax"):  # a second, not 5 for all 200 ops
            importlib.import_module(f"{generators.__name__}.{module}")
        generated = getattr(generators, "_NodeTestCases", None)
        if generated is None:  # the list is private; fall back to the public, slower collector
            generated = generators.collect_testcases()
    cases = {}
    for case in generated:
        nodes = case.model.graph.node
        if len(nodes) == 1 and nodes[0].op_type in OPS:
            data_sets = [(list(i), list(o)) for i, o in case.data_sets]
            cases[case.name] = Case(case.name, "node (generated)", case.model, data_sets)
    return cases


@functools.cache
def discover() -> dict[str, Case]:
    """Every single-op case of our four ops; a stored case wins over a generated one of the same name."""
    return {**_generated_cases(), **_stored_cases()}


# -- scope ---------------------------------------------------------------------


def _attributes(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def out_of_scope(case: Case) -> str | None:
    """Why a case is not a test of the book's operations, or None when it is."""
    nodes = case.model.graph.node
    if len(nodes) != 1:
        return f"a graph of {len(nodes)} nodes ({', '.join(n.op_type for n in nodes)}), not one operation"
    node = nodes[0]
    attrs = _attributes(node)
    if node.op_type in ("Conv", "MaxPool"):
        if len(attrs.get("kernel_shape", [])) != 2:
            return f"{len(attrs.get('kernel_shape', []))}-D {node.op_type}: the book's layers are 2-D"
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            return "dilation: refused for Conv2D by Network and absent from Keras's MaxPooling2D"
    if node.op_type == "Conv" and attrs.get("group", 1) != 1:
        return "grouped or depthwise convolution, not in the book"
    if node.op_type == "MaxPool" and attrs.get("ceil_mode", 0):
        return "ceil_mode: Keras rounds pooling output sizes down (or pads with 'same')"
    return None


# -- running one case ------------------------------------------------------------


def _pads(attrs: dict, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """ONNX padding attributes as ((top, bottom), (left, right))."""
    (kh, kw), (sh, sw) = attrs["kernel_shape"], attrs.get("strides", [1, 1])
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        rows, cols = padding_amounts(height, kh, sh, "same"), padding_amounts(width, kw, sw, "same")
        if auto == "SAME_LOWER":  # the odd one goes before instead of after
            rows, cols = rows[::-1], cols[::-1]
        return rows, cols
    pads = attrs.get("pads", [0, 0, 0, 0]) if auto in ("NOTSET", "") else [0, 0, 0, 0]
    return (pads[0], pads[2]), (pads[1], pads[3])


def _run(node, opset: int, values: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Our operation on ONNX's NCHW inputs, returning ONNX-shaped outputs."""
    attrs = _attributes(node)
    x = values[node.input[0]]
    if node.op_type == "Relu":
        return [ops.relu(x)]
    if node.op_type == "Softmax":
        axis = attrs.get("axis", -1 if opset >= 13 else 1)
        if opset < 13:  # before opset 13, Softmax flattened the axes from `axis` on into one
            axis = axis % x.ndim
            flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
            return [ops.softmax(flat, axis=-1).reshape(x.shape)]
        return [ops.softmax(x, axis=axis)]
    strides = tuple(attrs.get("strides", [1, 1]))
    pads = _pads(attrs, x.shape[2], x.shape[3])
    results: list[list[np.ndarray]] = [[], []]
    for image in x:  # each image of the batch, channels last
        hwc = image.transpose(1, 2, 0)
        if node.op_type == "Conv":
            kernel = values[node.input[1]].transpose(2, 3, 1, 0)  # (M, C, kH, kW) -> (kH, kW, C, M)
            bias = values[node.input[2]] if len(node.input) > 2 and node.input[2] else np.zeros(kernel.shape[-1])
            out = ops.conv2d(hwc, kernel, bias.astype(np.float32), strides, pads)
            results[0].append(out.transpose(2, 0, 1))
        else:
            window = tuple(attrs["kernel_shape"])
            as_float = hwc.astype(np.float32)
            out = ops.max_pool2d(as_float, window, strides, pads).astype(x.dtype)
            results[0].append(out.transpose(2, 0, 1))
            where = ops.max_pool2d_argmax(as_float, window, strides, pads)  # (Y, X, C, 2)
            results[1].append(where.transpose(2, 0, 1, 3))
    outputs = [np.stack(results[0])]
    if node.op_type == "MaxPool" and len(node.output) > 1:
        outputs.append(_onnx_indices(np.stack(results[1]), x.shape, attrs.get("storage_order", 0)))
    return outputs


def _onnx_indices(where: np.ndarray, shape, storage_order: int) -> np.ndarray:
    """(row, col) of each maximum as ONNX's flat index into the whole NCHW input."""
    batch, channels, height, width = shape
    n = np.arange(batch)[:, None, None, None]
    c = np.arange(channels)[None, :, None, None]
    rows, cols = where[..., 0], where[..., 1]
    within = rows * width + cols if storage_order == 0 else cols * height + rows
    return ((n * channels + c) * height * width + within).astype(np.int64)


CASE_NAMES = sorted(discover())


@pytest.mark.parametrize("name", CASE_NAMES)
def test_onnx_backend_case(name):
    case = discover()[name]
    reason = out_of_scope(case)
    if reason:
        pytest.skip(f"out of scope: {reason}")
    graph = case.model.graph
    node = graph.node[0]
    opset = next((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")), 13)
    initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    feeds = [i.name for i in graph.input if i.name not in initializers]
    assert case.data_sets, name
    for inputs, expected in case.data_sets:
        values = {**initializers, **dict(zip(feeds, inputs, strict=True))}
        got = _run(node, opset, values)
        assert len(got) == len(expected)
        for ours, theirs in zip(got, expected, strict=True):
            theirs = np.asarray(theirs)
            assert ours.shape == theirs.shape, name
            if np.issubdtype(theirs.dtype, np.floating):
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=name)
            else:
                np.testing.assert_array_equal(ours, theirs, err_msg=name)


def test_enough_cases_are_in_scope():
    """Guards against discovery silently finding nothing (e.g. after an onnx upgrade moves the data)."""
    cases = discover()
    in_scope = [name for name, case in cases.items() if out_of_scope(case) is None]
    ops_covered = {cases[name].model.graph.node[0].op_type for name in in_scope}
    assert ops_covered == set(OPS)
    assert len(in_scope) >= 25
