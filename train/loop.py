"""The SR training loop: data, schedule, progress, validation, samples, checkpoints, resume.

Exact resume: the checkpoint holds the step, the recipe's optimiser state and the data
generator's state; the learning rate is a pure function of (step, total steps).
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from vgx.errors import VgxError

from . import checkpoint, zoo
from .averaging import WeightAverage, check_decay
from .data import PatchSampler
from .distributed import Dist, init_from_env, shutdown
from .progress import train_progress
from .recipes import PSNRRecipe
from .validation import Validator

console = Console(stderr=True)


@dataclass
class TrainConfig:
    """None in steps .. ckpt_every means the recipe's default (RECIPE_DEFAULTS): what its shipped
    models were trained with, so `vgx train style --style IMG --data DIR` is the shipped recipe."""

    model: str
    data: list[str]
    scale: int | None = None  # with a family name: espcn + 3 -> espcn-x3
    out: str = "runs/train"
    val: str | None = None  # None: the built-in demo images
    steps: int | None = None
    batch_size: int | None = None  # per process
    patch_size: int | None = None  # LR patch side (style: the crop side)
    lr: float | None = None
    min_lr_ratio: float = 0.01  # cosine decays to lr * this
    warmup: int = 100
    val_every: int | None = None
    ckpt_every: int | None = None
    seed: int = 0
    threads: int | None = None
    device: str = "auto"  # auto: the GPU where PyTorch sees one, else the CPU
    degradations: str | None = None  # -real models: vgx.train.degrade.CONFIGS (None: restore at x1, else wide)
    rescales: tuple[float, ...] = ()  # clean SR: each image also at these sizes (train.data.PatchSampler)
    resume: str | None = None
    init: str | None = None  # start from these weights (e.g. srresnet for srgan)
    stop_at: int | None = None  # stop after this step (resumable), keeping the schedule of `steps`
    antialias: bool = False  # style: the shift-following TransformerNet (train/models/transformer_net.py)
    ema: float = 0.0  # > 0: also keep a moving average of the weights (train/averaging.py); model.pt holds it
    teacher: str | None = None  # style: distil from this model; clean SR: blend its output into the targets
    teacher_weight: float = 0.5  # clean SR: the targets are (1-w)*HR + w*teacher(LR) (train.data.PatchSampler)
    extra: dict[str, Any] = field(default_factory=dict)


# steps, batch, patch, lr, validate every, checkpoint every: what each recipe's shipped models used
# (scripts/train_zoo.sh); a style is 2000 steps of 256 px crops (the second wave's first stage)
RECIPE_DEFAULTS: dict[str, tuple[int, int, int, float, int, int]] = {
    "psnr": (10_000, 16, 32, 1e-3, 1000, 500),
    "gan": (400, 8, 24, 1e-4, 100, 50),
    "style": (2000, 2, 256, 1e-3, 250, 50),
    "dcgan": (6000, 64, 64, 2e-4, 250, 250),
    "vae": (4000, 64, 64, 1e-3, 250, 250),
}
DEFAULTED = ("steps", "batch_size", "patch_size", "lr", "val_every", "ckpt_every")


def with_defaults(cfg: TrainConfig, recipe: str) -> TrainConfig:
    given = {k: getattr(cfg, k) for k in DEFAULTED}
    return replace(cfg, **{k: v if given[k] is None else given[k]
                           for k, v in zip(DEFAULTED, RECIPE_DEFAULTS.get(recipe, RECIPE_DEFAULTS["psnr"]))})


def resolve_device(name: str) -> torch.device:
    """`auto`, `cpu`, `cuda` or `cuda:N`; a clear error where the GPU asked for is not there."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise VgxError(f"--device {name}: not a device; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise VgxError(f"--device {name}: this PyTorch ({torch.__version__}) sees no CUDA GPU; use --device cpu")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())  # set_device needs an index
        if device.index >= torch.cuda.device_count():
            raise VgxError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif device.type != "cpu":
        raise VgxError(f"--device {name}: vgx trains on cpu or cuda")
    return device


def lr_factor(step: int, total: int, warmup: int, min_ratio: float) -> float:
    """Linear warm-up, then cosine decay to min_ratio at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * t))


def train(cfg: TrainConfig) -> Path:
    """Runs (or resumes) a training run; returns the path of the final weights."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    entry = zoo.resolve(cfg.model, cfg.scale)
    cfg = with_defaults(cfg, entry.recipe)
    if cfg.steps <= 0 or cfg.batch_size <= 0 or cfg.patch_size <= 0:
        raise VgxError("--steps, --batch-size and --patch-size must be positive")
    check_decay(cfg.ema)
    card = entry.card()
    if cfg.antialias:
        if entry.task != "style":
            raise VgxError(f"--antialias is for style nets; not for {card.name}")
        card.arch_kwargs["antialias"] = True
    if cfg.degradations and card.degradation != "real":
        raise VgxError(f"--degradations is for the -real models (degraded pairs); {card.name} trains on clean pairs")
    if cfg.rescales and (card.degradation == "real" or entry.task != "sr"):
        raise VgxError(f"--rescales is for the clean SR models' pairs; not for {card.name}")
    if cfg.teacher and entry.task != "style" and (card.degradation == "real" or entry.task != "sr"):
        raise VgxError(f"--teacher is for style nets and the clean SR models' pairs; not for {card.name}")
    dist = init_from_env()
    device = resolve_device(cfg.device)
    if device.type == "cuda":
        if dist.world > 1:  # torchrun: one GPU per process
            device = torch.device("cuda", dist.rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True  # fixed crop sizes: pick the fastest kernels once
    try:
        return _run(cfg, entry, card, dist, device)
    finally:
        shutdown()


def _make_recipe(entry: zoo.ZooEntry, model: torch.nn.Module, card, cfg: TrainConfig, dist: Dist):
    if "pixel_loss" in cfg.extra and entry.recipe != "psnr":
        raise VgxError(f"--pixel-loss is for the PSNR-trained SR nets; {card.name} trains with its own losses")
    if entry.recipe == "gan":
        from .gan import GANRecipe

        return GANRecipe(model, card, cfg.lr, wrap=dist.wrap, **cfg.extra)
    if entry.recipe == "style":
        from .style import StyleRecipe

        return StyleRecipe(model, card, cfg.lr, teacher=cfg.teacher, **cfg.extra)
    if entry.recipe == "dcgan":
        from .faces import DCGANRecipe

        return DCGANRecipe(model, card, cfg.lr, wrap=dist.wrap, **cfg.extra)
    if entry.recipe == "vae":
        from .faces import VAERecipe

        return VAERecipe(model, card, cfg.lr, **cfg.extra)
    return PSNRRecipe(model, card, cfg.lr, **cfg.extra)


def _make_data(entry: zoo.ZooEntry, card, cfg: TrainConfig, log, recipe):
    if entry.task == "style":
        from .style import ContentSampler

        # crops carry the real content around them that the recipe's moves bring in (--stability-context)
        return ContentSampler(cfg.data, cfg.patch_size, log=log, margin=recipe.margin)
    if entry.task == "generate":
        from .faces import FaceSampler

        return FaceSampler(cfg.data, log=log, augment=entry.recipe == "vae")
    if card.degradation == "real":
        from .data import DegradedPatchSampler

        return DegradedPatchSampler(cfg.data, card.scale, cfg.patch_size, log=log, degradations=cfg.degradations)
    teacher = _sr_teacher(cfg.teacher, card) if cfg.teacher else None
    sampler = PatchSampler(cfg.data, card.scale, cfg.patch_size, log=log, rescales=cfg.rescales,
                           teacher=(teacher, cfg.teacher_weight) if teacher else None)
    if teacher:
        sampler.provenance = f"; targets {1 - cfg.teacher_weight:g} HR + {cfg.teacher_weight:g} {cfg.teacher}'s output"
    return sampler


def _sr_teacher(name: str, card) -> torch.nn.Module:
    """A clean SR student's teacher: a trained SR model of its scale (a zoo name or weights)."""
    from .loading import load_model

    teacher, tcard = load_model(name)
    if tcard.task != "sr" or tcard.scale != card.scale:
        raise VgxError(f"--teacher {name} is a {tcard.task} model of scale {tcard.scale}; {card.name} learns from an "
                       f"SR model of scale {card.scale}")
    return teacher.requires_grad_(False)


def _make_validator(entry: zoo.ZooEntry, card, cfg: TrainConfig, recipe):
    if entry.task == "style":
        from .style import StyleValidator

        return StyleValidator(recipe, cfg.val)
    if entry.task == "generate":
        from .faces import GenValidator

        return GenValidator(card, cfg.val or (cfg.data[0] if cfg.data else None), log=console.log)
    return Validator(card, cfg.val)


ESTIMATE_AFTER = 5  # steps timed before the run says how long it will take on this machine
ESTIMATE_SKIP = 2  # first steps not timed: cudnn's kernel search made a GPU's look 30x slower


def _log_estimate(log, seconds: float, left: int) -> None:
    per = seconds / ESTIMATE_AFTER
    total = per * left
    hours, minutes = divmod(round(total / 60), 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min" if minutes else f"{total:.0f} s"
    log(f"about {per:.2f} s a step on this machine: {left} more steps take about {span} "
        "(--stop-at N trains in slices; --resume continues)")


def _pretrained_generator() -> str:
    """SRGAN fine-tunes a PSNR-trained SRResNet: the shipped one unless --init names another."""
    path = zoo.shipped_weights("srresnet-x4")
    if path is None:
        raise VgxError("srgan fine-tunes a PSNR-trained generator: train srresnet-x4 first and pass --init its model.pt")
    return str(path)


def _run(cfg: TrainConfig, entry: zoo.ZooEntry, card, dist: Dist, device: torch.device) -> Path:
    out = Path(cfg.out)
    log = console.log if dist.main else (lambda *a, **k: None)
    torch.manual_seed(cfg.seed)
    model = zoo.build(card)
    init = cfg.init or (_pretrained_generator() if entry.recipe == "gan" and not cfg.resume else None)
    if init:
        start = checkpoint.load(init)
        checkpoint.load_weights(model, start, f"--init {init}", adapt=True)
        started = checkpoint.card_of(start)
        card.init_steps = started.init_steps + started.train_steps
        card.lineage = started.lineage + [started.slice_summary()]
    model = dist.wrap(model.to(device))
    recipe = _make_recipe(entry, model, card, cfg, dist)
    recipe.to(device)
    sampler = _make_data(entry, card, cfg, log, recipe)
    rng = np.random.default_rng(cfg.seed)
    step = 0
    average = WeightAverage(model, cfg.ema) if cfg.ema else None
    if cfg.resume:
        payload = checkpoint.load(cfg.resume)
        if checkpoint.card_of(payload).name != card.name or "train_state" not in payload:
            raise VgxError(f"--resume {cfg.resume} is not a training checkpoint of {card.name}")
        checkpoint.load_weights(model, payload, cfg.resume)
        resumed = checkpoint.card_of(payload)  # the run's history, with or without --init again
        card.init_steps, card.lineage = resumed.init_steps, resumed.lineage
        state = payload["train_state"]
        recipe.load_state_dict(state["recipe"])
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        step = int(state["step"])
        if average is not None:  # a run that kept no average starts one at the resumed weights
            average.load_state_dict(state.get("ema") or checkpoint.unwrap(model).state_dict())
        log(f"resumed {card.name} at step {step} from {cfg.resume}")
    validator = _make_validator(entry, card, cfg, recipe) if dist.main else None
    card.trained_on = (", ".join(Path(d).name for d in cfg.data) + getattr(sampler, "provenance", "")
                       + getattr(recipe, "provenance", "") + (f"; weights averaged (EMA {cfg.ema})" if average else ""))
    # what validation scores and model.pt holds: the average where one is kept
    scored = average.model if average is not None else checkpoint.unwrap(model)

    def save_last() -> Path:
        card.train_steps = step
        state = {"step": step, "recipe": recipe.state_dict(), "numpy_rng": rng.bit_generator.state,
                 "torch_rng": torch.get_rng_state(), "config": _config_record(cfg)}
        if average is not None:
            state["ema"] = average.state_dict()
        return checkpoint.save(out / "last.pt", card, model, state)

    log(f"training {card.name} on {len(sampler)} images, {cfg.steps} steps, batch {cfg.batch_size} x {dist.world}, "
        f"on {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'the CPU'}")
    log_file = out / "train_log.csv"
    metrics: dict[str, float] = {}
    with train_progress(card.name, cfg.steps, step, enabled=dist.main) as progress:
        t0 = time.perf_counter()
        end = min(cfg.steps, cfg.stop_at or cfg.steps)
        started = step
        while step < end:
            factor = lr_factor(step, cfg.steps, cfg.warmup, cfg.min_lr_ratio)
            for opt in recipe.optimizers():
                for group in opt.param_groups:
                    group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor
            batch = [t.to(device, non_blocking=True) for t in sampler.sample(rng, cfg.batch_size * dist.world,
                                                                              dist.part(cfg.batch_size))]
            losses = {k: float(v) for k, v in recipe.step(*batch).items()}
            if not all(math.isfinite(v) for v in losses.values()):
                last = out / "last.pt"
                kept = f"last good checkpoint: {last}" if last.exists() else "no checkpoint was written yet"
                raise VgxError(f"loss became {losses} at step {step + 1}; stopped ({kept}); try a lower --lr")
            step += 1
            if average is not None:
                average.update(model)
            metrics.update(losses)
            if dist.main:
                row = {"step": step, **losses, "lr": cfg.lr * factor, "sec": time.perf_counter() - t0}
                if step % cfg.val_every == 0 or step == cfg.steps:
                    result = validator.run(scored, out / "samples" / f"step_{step:07d}.png")
                    row.update(result)
                    metrics.update(result)
                    log(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "step"))
                _append_csv(log_file, row)
                progress.advance(metrics)
                if step == started + ESTIMATE_SKIP:
                    t_first = time.perf_counter()
                if step == started + ESTIMATE_SKIP + ESTIMATE_AFTER:
                    _log_estimate(log, time.perf_counter() - t_first, end - step)
            if step % cfg.ckpt_every == 0 or step == end:
                if dist.main:
                    save_last()
                dist.barrier()
            t0 = time.perf_counter()
    final = out / "model.pt"
    if step < cfg.steps:
        log(f"stopped at step {step} of {cfg.steps}; continue with --resume {out / 'last.pt'}")
        return out / "last.pt"
    if dist.main:
        card.train_steps = step
        # plain floats: numpy scalars would make the checkpoint fail weights-only loading
        card.quality.update({k: round(float(v), 3) for k, v in metrics.items() if k.startswith("val_")})
        checkpoint.save(final, card, scored)
        log(f"wrote {final} (weights only) and {out / 'last.pt'} (resumable)")
    dist.barrier()  # every rank leaves together: a rank tearing gloo down early aborted its peer (1 in ~6 CI runs)
    return final


def _config_record(cfg: TrainConfig) -> dict[str, Any]:
    """The config as plain types (weights-only checkpoints hold no arbitrary objects)."""
    return {k: v for k, v in asdict(cfg).items() if isinstance(v, (int, float, str, list, type(None)))}


def _append_csv(path: Path, row: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = ["step", "loss", "lr", "sec", "val_psnr_y", "val_ssim"]
    extra = [k for k in row if k not in fields]
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields + extra, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
