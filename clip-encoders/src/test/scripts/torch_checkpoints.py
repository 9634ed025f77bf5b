#!/usr/bin/python3
"""PyTorch checkpoint fixtures for clip4j's pickle-free reader (TorchCheckpointFixtureTest and friends).

Reads the tiny reference models' weights from testdata/clip-reference/{vit,rn}_tiny.safetensors and writes
testdata/torch-checkpoints/:

  vit/open_clip_config.json   the tiny ViT's config (text heads cannot be inferred from shapes: width 48)
  vit/zip_fp32.pt             torch.save(state_dict) (zip format); every float tensor is a view into ONE
                              shared storage (own offsets), text_projection is a transposed view (strides
                              [1, 48]), each attn.in_proj_weight is rows of a bigger [4W, W] block
  vit/legacy_fp16.pt          torch.save(..., _use_new_zipfile_serialization=False) after the reference
                              convert_weights() (conv/linear/in_proj/projections fp16, the rest fp32); the
                              in_proj_weight of each block is a slice of one shared fp16 storage
  vit/openai_jit.pt           torch.jit.save of the reference CLIP traced with torch.jit.trace_module
                              (forward, encode_image, encode_text) in float32, then convert_weights() applied
                              to the parameters the traced module shares: a TorchScript archive with OpenAI's
                              mix of fp16 and fp32 weights, as its ViT-B-32.pt holds
  vit/open_clip_epoch_3.pt    an open_clip training checkpoint: {"epoch", "name", "state_dict" with "module."
                              prefixes (DDP), "optimizer" (AdamW state of two tensors), "scaler"}
  vit/hf/pytorch_model.bin    the tiny ViT in Hugging Face CLIPModel names, as transformers saves it: q/k/v
                              projections are row slices of the packed in_proj tensors (views of one storage),
                              the projections transposed views, plus the int64 position_ids buffers (the test
                              puts a config.json written by clip4j's exportHuggingFace beside it)
  rn/open_clip_config.json    the tiny ResNet's config
  rn/zip_fp16.pt              torch.save of the state dict after convert_weights() (zip format)
  rn/openai_jit.pt            as vit/openai_jit.pt for the ModifiedResNet model
  fuzz/state_zip.pt, fuzz/state_legacy.pt, fuzz/module_jit.pt
                              tiny seeds for TorchCheckpointFuzzTest: a state dict with fp32, fp16, int64 and
                              bfloat16 tensors, a transposed and an offset view of shared storages (zip and
                              legacy formats), and a scripted module with a parameter, a buffer, a submodule and
                              a plain tensor attribute that is not in its state_dict
  expected.json               for every file: torch.load / torch.jit.load(...).state_dict() keys, dtypes,
                              shapes, as the reference clip.load(jit=False) passes them to build_model
  expected_fp16.safetensors   image/text features of the fp16-rounded models computed in float32 (what
                              clip.load(..., device="cpu") gives: convert_weights() then model.float()),
                              on the inputs of clip-reference/{vit,rn}_tiny.expected.safetensors

The model code is the reference openai/CLIP clip/model.py (commit d05afc4), imported from the directory given
as the second argument (not part of clip4j). Run with Debian's python3-torch and python3-numpy:

    git -C CLIP archive HEAD clip | tar -x -C /tmp/openai-clip
    /usr/bin/python3 clip-encoders/src/test/scripts/torch_checkpoints.py testdata /tmp/openai-clip

CI does not run this script; it reads the stored output.
"""
import collections
import copy
import importlib.util
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "U8": np.uint8}


def read_safetensors(path):
    """A minimal safetensors reader: returns (tensors dict in header order, metadata)."""
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = collections.OrderedDict()
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, end = e["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def build(clip_model, weights_path):
    sd, meta = read_safetensors(weights_path)
    cfg = json.loads(meta["clip_config"])
    torch.manual_seed(0)
    model = clip_model.CLIP(**cfg)
    model.load_state_dict(sd)
    return model.eval(), cfg, sd


def shared_fp32(sd):
    """The state dict rebuilt so that every float tensor is a view into one shared flat storage."""
    floats = [(k, v) for k, v in sd.items() if v.dtype == torch.float32]
    extra = 0
    for k, v in floats:
        if k.endswith("attn.in_proj_weight"):
            extra += v.shape[1] * v.shape[1]  # room for a fourth block of rows
    flat = torch.empty(sum(v.numel() for _, v in floats) + extra + 7, dtype=torch.float32)
    out, off = collections.OrderedDict(), 7  # a non-zero first offset
    for k, v in sd.items():
        if v.dtype != torch.float32:
            out[k] = v.clone()
            continue
        n = v.numel()
        if k == "text_projection":  # stored transposed: a non-contiguous view
            block = flat[off:off + n].view(v.shape[1], v.shape[0])
            block.copy_(v.t())
            out[k] = block.t()
        elif k.endswith("attn.in_proj_weight"):
            w = v.shape[1]
            block = flat[off:off + n + w * w].view(v.shape[0] + w, w)
            block[w:].copy_(v)
            out[k] = block[w:]  # rows w..4w of a [4W, W] block: storage offset inside the block
            n += w * w
        else:
            out[k] = flat[off:off + n].view(v.shape)
            out[k].copy_(v)
        off += n
    for k, v in sd.items():
        assert torch.equal(out[k], v), k
    return out


def fp16_state(clip_model, model):
    m = copy.deepcopy(model)
    clip_model.convert_weights(m)
    return m


def describe(sd):
    return [{"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
            for k, v in sd.items()]


def trace(model, cfg):
    r = cfg["image_resolution"]
    image = torch.zeros(1, 3, r, r)
    text = torch.zeros(1, cfg["context_length"], dtype=torch.long)
    text[0, 1] = cfg["vocab_size"] - 1
    return torch.jit.trace_module(model, {"forward": (image, text), "encode_image": (image,),
                                          "encode_text": (text,)}, check_trace=False)


def open_clip_config(cfg, heads):
    vision = {"image_size": cfg["image_resolution"], "layers": cfg["vision_layers"], "width": cfg["vision_width"]}
    if cfg["vision_patch_size"] is not None:
        vision["patch_size"] = cfg["vision_patch_size"]
    return {"model_cfg": {"embed_dim": cfg["embed_dim"], "quick_gelu": True, "vision_cfg": vision,
                          "text_cfg": {"context_length": cfg["context_length"], "vocab_size": cfg["vocab_size"],
                                       "width": cfg["transformer_width"], "heads": heads,
                                       "layers": cfg["transformer_layers"]}}}


def main():
    testdata = Path(sys.argv[1])
    spec = importlib.util.spec_from_file_location("clip_model", Path(sys.argv[2]) / "clip" / "model.py")
    clip_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clip_model)
    torch.set_num_threads(1)
    out = testdata / "torch-checkpoints"
    (out / "vit").mkdir(parents=True, exist_ok=True)
    (out / "rn").mkdir(parents=True, exist_ok=True)
    expected = {"torch.__version__": torch.__version__, "files": {}}
    features = collections.OrderedDict()

    for stem, kind in (("vit_tiny", "vit"), ("rn_tiny", "rn")):
        model, cfg, sd = build(clip_model, testdata / "clip-reference" / f"{stem}.safetensors")
        (out / kind / "open_clip_config.json").write_text(
            json.dumps(open_clip_config(cfg, cfg["transformer_heads"]), indent=1) + "\n")
        half = fp16_state(clip_model, model)
        half_sd = half.state_dict()
        files = {}
        if kind == "vit":
            files["zip_fp32.pt"] = shared_fp32(sd)
            legacy = collections.OrderedDict((k, v.clone()) for k, v in half_sd.items())
            blocks = [k for k in legacy if k.endswith("attn.in_proj_weight")]
            big = torch.cat([legacy[k].flatten() for k in blocks])  # one fp16 storage for every in_proj_weight
            off = 0
            for k in blocks:
                n = legacy[k].numel()
                legacy[k] = big[off:off + n].view(legacy[k].shape)
                off += n
            files["legacy_fp16.pt"] = legacy
        else:
            files["zip_fp16.pt"] = collections.OrderedDict((k, v.clone()) for k, v in half_sd.items())
        for name, state in files.items():
            torch.save(state, out / kind / name, _use_new_zipfile_serialization=not name.startswith("legacy"))
            back = torch.load(out / kind / name)
            for k in state:
                assert torch.equal(back[k], state[k]), (name, k)
            expected["files"][f"{kind}/{name}"] = describe(back)

        # OpenAI-style TorchScript archive: traced in float32, then convert_weights() on the same parameters
        source = copy.deepcopy(model)
        traced = trace(source, cfg)
        clip_model.convert_weights(source)  # the traced module shares these Parameter objects
        jit_path = out / kind / "openai_jit.pt"
        torch.jit.save(traced, str(jit_path))
        loaded = torch.jit.load(str(jit_path), map_location="cpu").eval()
        jit_sd = loaded.state_dict()
        for k, v in half_sd.items():
            assert torch.equal(jit_sd[k], v) and jit_sd[k].dtype == v.dtype, k
        expected["files"][f"{kind}/openai_jit.pt"] = describe(jit_sd)
        # what clip.load(jit=False) does with it on the CPU
        ref_inputs, _ = read_safetensors(testdata / "clip-reference" / f"{stem}.expected.safetensors")
        m32 = fp16_state(clip_model, model).float().eval()
        with torch.no_grad():
            features[f"{kind}.image_features"] = m32.encode_image(ref_inputs["image"])
            features[f"{kind}.text_features"] = m32.encode_text(ref_inputs["text"])

        if kind == "vit":
            wrapped = collections.OrderedDict(("module." + k, v.clone()) for k, v in sd.items())
            params = [sd["logit_scale"].clone().requires_grad_(), sd["visual.proj"].clone().requires_grad_()]
            opt = torch.optim.AdamW(params, lr=1e-3)
            sum((p * p).sum() for p in params).backward()
            opt.step()
            ckpt = {"epoch": 3, "name": "tiny-run", "state_dict": wrapped, "optimizer": opt.state_dict(),
                    "scaler": {"scale": 65536.0, "growth_factor": 2.0, "_growth_tracker": 0}}
            torch.save(ckpt, out / kind / "open_clip_epoch_3.pt")
            back = torch.load(out / kind / "open_clip_epoch_3.pt")
            expected["files"][f"{kind}/open_clip_epoch_3.pt"] = describe(
                collections.OrderedDict((k[len("module."):], v) for k, v in back["state_dict"].items()))
    write_hf(out / "vit" / "hf", testdata, expected)
    write_fuzz_seeds(out / "fuzz", expected)
    write_safetensors(out / "expected_fp16.safetensors", features)
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


def hf_names(sd):
    """OpenAI CLIP names -> Hugging Face CLIPModel names (ViT only), values as views of the originals."""
    plain = {"token_embedding.weight": "text_model.embeddings.token_embedding.weight",
             "positional_embedding": "text_model.embeddings.position_embedding.weight",
             "ln_final.weight": "text_model.final_layer_norm.weight",
             "ln_final.bias": "text_model.final_layer_norm.bias", "logit_scale": "logit_scale",
             "visual.class_embedding": "vision_model.embeddings.class_embedding",
             "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
             "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
             "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
             "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
             "visual.ln_post.weight": "vision_model.post_layernorm.weight",
             "visual.ln_post.bias": "vision_model.post_layernorm.bias"}
    block = {"attn.out_proj": "self_attn.out_proj", "ln_1": "layer_norm1", "ln_2": "layer_norm2",
             "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2"}
    out = collections.OrderedDict()
    for k, v in sd.items():
        if k in plain:
            out[plain[k]] = v
        elif k == "text_projection":
            out["text_projection.weight"] = v.t()
        elif k == "visual.proj":
            out["visual_projection.weight"] = v.t()
        else:
            parts = k.split(".")
            tower = "vision_model" if parts[0] == "visual" else "text_model"
            if parts[0] == "visual":
                parts = parts[1:]
            i, rest = parts[2], ".".join(parts[3:])
            prefix = f"{tower}.encoder.layers.{i}."
            if rest in ("attn.in_proj_weight", "attn.in_proj_bias"):
                wb = rest.split("_")[-1]
                for j, (q) in enumerate(v.chunk(3)):
                    out[prefix + f"self_attn.{'qkv'[j]}_proj.{wb}"] = q
            else:
                mod, wb = rest.rsplit(".", 1)
                out[prefix + block[mod] + "." + wb] = v
    return out


def write_hf(out, testdata, expected):
    out.mkdir(parents=True, exist_ok=True)
    sd, meta = read_safetensors(testdata / "clip-reference" / "vit_tiny.safetensors")
    cfg = json.loads(meta["clip_config"])
    hf = hf_names(sd)
    hf["text_model.embeddings.position_ids"] = torch.arange(cfg["context_length"]).unsqueeze(0)
    grid = cfg["image_resolution"] // cfg["vision_patch_size"]
    hf["vision_model.embeddings.position_ids"] = torch.arange(grid * grid + 1).unsqueeze(0)
    torch.save(hf, out / "pytorch_model.bin")
    expected["files"]["vit/hf/pytorch_model.bin"] = describe(torch.load(out / "pytorch_model.bin"))


class TinyInner(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
        self.register_buffer("count", torch.tensor(7, dtype=torch.long))
        self.mask = torch.ones(2, 2)  # a plain attribute: not in state_dict

    def forward(self, x):
        return self.lin(x) + self.mask.sum() + self.count


class TinyOuter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(0.5).half())
        self.inner = TinyInner()

    def forward(self, x):
        return self.inner(x) * self.scale.float()


def write_fuzz_seeds(out, expected):
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    base = torch.randn(12, generator=g)
    state = collections.OrderedDict()
    state["w"] = base[:6].view(2, 3)
    state["wt"] = base[:6].view(2, 3).t()  # transposed view of the same storage
    state["tail"] = base[8:12]  # offset view
    state["h"] = torch.randn(4, generator=g).half()
    state["b"] = torch.randn(2, generator=g).bfloat16()
    state["ids"] = torch.tensor([[49406, 1, 49407]])
    state["s"] = torch.tensor(2.5, dtype=torch.float64)
    for name, zipped in (("state_zip.pt", True), ("state_legacy.pt", False)):
        torch.save(state, out / name, _use_new_zipfile_serialization=zipped)
        expected["files"]["fuzz/" + name] = describe(torch.load(out / name))
    torch.manual_seed(3)
    m = torch.jit.script(TinyOuter())
    torch.jit.save(m, str(out / "module_jit.pt"))
    expected["files"]["fuzz/module_jit.pt"] = describe(torch.jit.load(str(out / "module_jit.pt")).state_dict())


if __name__ == "__main__":
    main()
