#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the weight-file fixtures of core/statedict (tests/data/fixtures/weights/).

Run with Debian's interpreter (python3-torch, python3-numpy):

    /usr/bin/python3 tests/data/make_weights_fixtures.py

One small network in eval mode (conv -> batch norm -> ReLU -> max-pool -> conv -> transposed
conv, with non-trivial running statistics), its print(model) text (net.txt), its state_dict
in every format convscope reads, an input and torch's outputs:

  net.pt              torch.save(model.state_dict()) (zip + pickle + raw storages)
  net_f64.pt          the same weights as float64 storages
  net_param.pt        a dict of nn.Parameter (keep_vars=True): _rebuild_parameter
  net_strided.pt      the first weight saved as a non-contiguous view of a larger storage
  net.npz             numpy.savez of the state_dict (num_batches_tracked as int64)
  net_compressed.npz  numpy.savez_compressed (deflate)
  net.safetensors     the safetensors layout (8-byte header length, JSON header, raw data),
                      written here byte by byte as the safetensors library writes it
  net_f16.safetensors, net_bf16.safetensors
                      the float tensors stored as float16 / bfloat16; out_f16.npy and
                      out_bf16.npy are torch's float32 outputs with the weights so rounded
  wrong_shape.npz     0.weight with a transposed shape
  missing_key.npz     without 1.running_var
  extra_key.npz       with a key no layer has
  evil.pt             a pickle that would call os.system: must be refused
  model.pt            torch.save(model): a pickled module, not a state_dict: refused
  input.npy           [1, 3, 12, 12]
  out.npy             the whole network's output
  out_layer2.npy      the output of layer 2 (BatchNorm2d), layers counted from 1
"""
import copy
import json
import os
import shutil
import struct

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "weights")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this pickle ran code",))


def safetensors_bytes(tensors):
    dtypes = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64",
              torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, offset = {}, [], 0
    # The library sorts tensors by dtype alignment, then name; offsets are what matters.
    for name, t in sorted(tensors.items()):
        raw = t.contiguous().numpy().tobytes() if t.dtype != torch.bfloat16 else \
            t.contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main():
    torch.manual_seed(13)
    model = nn.Sequential(
        nn.Conv2d(3, 4, kernel_size=3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(4, 6, kernel_size=3, stride=1, padding=1, bias=False),
        nn.ConvTranspose2d(6, 2, kernel_size=2, stride=2),
    )
    with torch.no_grad():
        bn = model[1]
        bn.running_mean.copy_(torch.randn(4) * 0.3)
        bn.running_var.copy_(torch.rand(4) + 0.5)
        bn.weight.copy_(torch.rand(4) + 0.5)
        bn.bias.copy_(torch.randn(4) * 0.2)
        bn.num_batches_tracked.fill_(7)
    model.eval()

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with open(os.path.join(OUT, "net.txt"), "w") as f:
        f.write(str(model) + "\n")

    x = torch.randn(1, 3, 12, 12)
    with torch.no_grad():
        out = model(x)
        out2 = model[:2](x)
    np.save(os.path.join(OUT, "input.npy"), x.numpy())
    np.save(os.path.join(OUT, "out.npy"), out.numpy())
    np.save(os.path.join(OUT, "out_layer2.npy"), out2.numpy())

    sd = model.state_dict()
    torch.save(sd, os.path.join(OUT, "net.pt"))
    torch.save({k: (v.double() if v.is_floating_point() else v) for k, v in sd.items()},
               os.path.join(OUT, "net_f64.pt"))
    torch.save(model.state_dict(keep_vars=True), os.path.join(OUT, "net_param.pt"))
    strided = dict(sd)
    w = sd["0.weight"]
    big = torch.zeros(3, 4, 3, 5)  # [C_in, C_out, kH, kW + 2]: w is a permuted slice of it
    big[:, :, :, 1:4] = w.permute(1, 0, 2, 3)
    strided["0.weight"] = big[:, :, :, 1:4].permute(1, 0, 2, 3)
    assert not strided["0.weight"].is_contiguous()
    assert torch.equal(strided["0.weight"], w)
    torch.save(strided, os.path.join(OUT, "net_strided.pt"))

    arrays = {k: v.numpy() for k, v in sd.items()}
    np.savez(os.path.join(OUT, "net.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "net_compressed.npz"), **arrays)
    with open(os.path.join(OUT, "net.safetensors"), "wb") as f:
        f.write(safetensors_bytes(dict(sd)))

    for dtype, tag in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
        low = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()}
        with open(os.path.join(OUT, f"net_{tag}.safetensors"), "wb") as f:
            f.write(safetensors_bytes(low))
        rounded = copy.deepcopy(model)
        rounded.load_state_dict({k: v.float() if v.is_floating_point() else v
                                 for k, v in low.items()})
        with torch.no_grad():
            np.save(os.path.join(OUT, f"out_{tag}.npy"), rounded(x).numpy())

    wrong = dict(arrays)
    wrong["0.weight"] = np.ascontiguousarray(arrays["0.weight"].transpose(1, 0, 2, 3))
    np.savez(os.path.join(OUT, "wrong_shape.npz"), **wrong)
    missing = {k: v for k, v in arrays.items() if k != "1.running_var"}
    np.savez(os.path.join(OUT, "missing_key.npz"), **missing)
    extra = dict(arrays)
    extra["7.weight"] = np.zeros(3, np.float32)
    np.savez(os.path.join(OUT, "extra_key.npz"), **extra)

    torch.save({"0.weight": Evil()}, os.path.join(OUT, "evil.pt"))
    torch.save(model, os.path.join(OUT, "model.pt"))
    print(f"wrote {len(os.listdir(OUT))} files to {OUT}")


if __name__ == "__main__":
    main()
