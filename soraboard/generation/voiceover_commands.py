"""``soraboard voiceover``: render the dialogue with a provider's text-to-speech voices."""

from __future__ import annotations

import argparse
import sys

from soraboard.console import CliError, one_line
from soraboard.redact import redact


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "voiceover", help="render the dialogue with a provider's voices (for 'export --voiceover')",
        description="Speak every dialogue line through the provider profile's OpenAI-compatible "
                    "POST /audio/speech, one voice per speaker, into the bundle's voice cache. "
                    "A line whose model, voice and words did not change is not sent again. "
                    "Says what it costs first; asks unless --yes.")
    p.add_argument("project", help="a project folder (Name.soraboard)")
    p.add_argument("--provider", help="provider profile (default: the one in settings)")
    p.add_argument("--model", help="the text-to-speech model (saved in the project; "
                                    "default tts-1)")
    p.add_argument("--voice", action="append", default=[], metavar="SPEAKER=VOICE",
                   help="give a speaker a voice (saved in the project); may be repeated")
    p.add_argument("--yes", action="store_true", help="do not ask before spending money")
    p.set_defaults(func=cmd_voiceover)


def _voice_map(pairs: list[str], current: dict[str, str]) -> dict[str, str]:
    out = dict(current)
    for pair in pairs:
        speaker, sep, voice = pair.partition("=")
        if not sep or not speaker.strip() or not voice.strip():
            raise CliError(f"--voice {pair!r}: write SPEAKER=VOICE, e.g. Mara=nova", 2)
        out[speaker.strip()] = voice.strip()
    return out


def cmd_voiceover(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from soraboard.catalog.tts import tts_price
    from soraboard.generation.commands import cli_lock
    from soraboard.generation.providers import ANIMATIC, ProviderError, get_key, get_profile
    from soraboard.generation.voiceover import SpeechClient, money, render_lines
    from soraboard.settings import load_settings
    from soraboard.storage.bundle import load_project
    from soraboard.storage.errors import ProjectError
    from soraboard.storage.voiceover import (
        characters,
        voice_lines,
    )
    from soraboard.storage.voiceover import (
        load_settings as load_voice,
    )
    from soraboard.storage.voiceover import (
        save_settings as save_voice,
    )

    settings, _notes = load_settings()
    try:
        project = load_project(args.project)
        voice = load_voice(project.bundle)
    except (ProjectError, ValueError) as e:
        raise CliError(one_line(str(e))) from None
    voice = replace(voice, model=(args.model or voice.model).strip() or voice.model,
                    voices=_voice_map(args.voice, voice.voices))
    provider = args.provider if args.provider is not None else settings.provider
    if provider in (None, "", ANIMATIC):
        raise CliError("the voice-over needs a provider that serves /audio/speech (--provider "
                       "NAME); the animatic's offline scratch voice needs none", 2)
    try:
        profile = get_profile(provider)
    except ProviderError as e:
        raise CliError(str(e), 2) from None
    key = get_key(profile)
    if key is None and profile.needs_key:
        where = f"${profile.key_env} or " if profile.key_env else ""
        raise CliError(f"provider {provider!r} needs an API key: set {where}the keyring "
                       f"('soraboard providers set-key {provider}')", 2)
    bundle = project.bundle
    lines = voice_lines(bundle, project.storyboard, voice)
    if not lines:
        print("Nothing to say: no segment has dialogue.")
        return 0
    todo = [v for v in lines if not v.cached]
    chars = characters(lines)
    price = tts_price(voice.model)
    cost = price.cost(chars)
    speakers = sorted({(v.speaker or "(no speaker)", v.voice) for v in lines})
    print(f"Voices ({voice.model}): " + ", ".join(f"{s} → {v}" for s, v in speakers),
          file=sys.stderr)
    print(f"{len(todo)} of {len(lines)} line(s) to render, {chars} characters on provider "
          f"{profile.name!r}: {money(cost)} ({price.label})", file=sys.stderr)
    if todo and not args.yes:
        if not sys.stdin.isatty():
            raise CliError(f"rendering costs {money(cost)}; add --yes to render", 2)
        answer = input(f"Render {len(todo)} line(s) for {money(cost)}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CliError("nothing rendered", 1)
    lock = cli_lock(bundle, "soraboard voiceover")
    try:
        save_voice(bundle, voice)
        if not todo:
            print(f"All {len(lines)} line(s) are rendered already; nothing was sent.")
            return 0
        client = SpeechClient(name=profile.name, base_url=profile.base_url, api_key=key,
                              timeout=max(profile.timeout, 60.0))
        done, cached, errors = render_lines(lines, client)
    finally:
        lock.release()
    for problem in errors:
        print("error: " + redact(one_line(problem)), file=sys.stderr)
    print(f"Rendered {done} line(s), {cached} already rendered; "
          "'soraboard export --voiceover' mixes them into the film")
    return 0 if not errors else 1
