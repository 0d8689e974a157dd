"""Find, download and verify a benchmark's pinned source files.

A benchmark's data are public files of one repository at one pinned commit,
never bundled with mteval. A benchmark declares them once as a
:class:`PinnedSource` (the files and their SHA-256s, the commit, its
environment variable) and gets the whole policy from here: the files are
looked up, in order, at an explicit folder (``--data-dir``), in the
benchmark's environment variable, in the user cache folder, and otherwise
downloaded into the cache — either as the repository's zip archive or file
by file — with every file checked against its pin before anything is
written, so a score always comes from the same inputs.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import platformdirs

from mteval.errors import DataNotFoundError, DownloadError

__all__ = ["LazySources", "PinnedSource", "file_sha256"]


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class PinnedSource:
    """A benchmark's source files: where they come from and what they must hash to.

    Attributes:
        title: What the files are called in messages (``MT-Eval sources``).
        label: Short name used in "lacks N of the M <label> source files".
        repository: ``owner/name`` of the repository they come from.
        commit: The pinned commit.
        files: Local path (relative to the data folder) -> (sha256, size in bytes).
        env_var: Environment variable naming a local copy (``MTEVAL_DATA_DIR``).
        url_env_var: Environment variable overriding the download URL.
        cache_name: Folder name under the user cache folder.
        archive_url: The repository's zip archive (members are found below its
            one top-level folder). Used when set.
        raw_url: Per-file URL template with ``{repository}``, ``{commit}`` and
            ``{path}``; used when there is no archive (large repositories).
        remote_paths: Local path -> path inside the repository, where they differ.
        notice: Text written to ``SOURCE.txt`` after the origin line (licence).
        fetch_command: The command that downloads them (named in hints).
    """

    title: str
    label: str
    repository: str
    commit: str
    files: Mapping[str, tuple[str, int]]
    env_var: str
    url_env_var: str | None = None
    cache_name: str
    archive_url: str | None = None
    raw_url: str | None = None
    remote_paths: Mapping[str, str] = field(default_factory=dict)
    notice: str = ""
    fetch_command: str = "mteval data fetch"

    def what_to_do(self) -> str:
        """The standard hint: where to point mteval, or how to download."""
        return (
            f"set {self.env_var} to a copy of the {self.title} (the repository "
            f"{self.repository} at commit {self.commit[:12]}), or run `{self.fetch_command}` "
            "on a machine with internet"
        )

    def fix_given_path(self) -> str:
        """The hint for an explicit ``--data-dir`` that lacks files: fix what was given."""
        return (
            f"pass --data-dir (data_dir=) a folder holding the {self.title} (the repository "
            f"{self.repository} at commit {self.commit[:12]}), or leave it out to use "
            f"{self.env_var} or the cache that `{self.fetch_command}` fills (on a machine with "
            "internet)"
        )

    def offline_advice(self) -> str:
        """The hint when the download itself failed: running the fetch again is no advice."""
        via = f"--url / {self.url_env_var}" if self.url_env_var else "--url"
        return (
            f"check the connection (or pass a mirror with {via}); without internet, copy the "
            f"{self.title} (the repository {self.repository} at commit {self.commit[:12]}) from "
            f"a machine that has them and set {self.env_var} to that folder"
        )

    def default_cache_dir(self) -> Path:
        """The user cache folder where downloaded files live."""
        return Path(platformdirs.user_cache_dir("mteval")) / self.cache_name

    def missing_files(self, root: Path) -> list[str]:
        """Return the files (relative paths) that are absent under ``root``."""
        return [rel for rel in self.files if not (root / rel).is_file()]

    def resolve(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        download: bool = True,
        environ: Mapping[str, str] | None = None,
        cache_dir: Path | None = None,
    ) -> Path:
        """Locate the files, downloading them into the cache if allowed.

        Lookup order: ``path``; the environment variable; the cache folder; a
        download into the cache (when ``download`` is true).

        Args:
            path: An explicit folder holding the files.
            download: Whether to download when no copy is found.
            environ: The environment to read (defaults to ``os.environ``).
            cache_dir: The cache folder (default: :meth:`default_cache_dir`).

        Raises:
            DataNotFoundError: An explicit folder is incomplete, or no copy exists
                and downloading is off or failed.
        """
        env = os.environ if environ is None else environ
        for origin, candidate in (("the given path", path), (self.env_var, env.get(self.env_var))):
            if candidate:
                root = Path(candidate).expanduser().absolute()
                absent = self.missing_files(root)
                if absent:
                    # Advise fixing what was actually given: the path, or the variable.
                    fix = self.what_to_do() if origin == self.env_var else self.fix_given_path()
                    raise DataNotFoundError(
                        f"{root / absent[0]} not found ({origin} points at {root}, which lacks "
                        f"{len(absent)} of the {len(self.files)} {self.label} source files): " + fix
                    )
                return root
        cache = self.default_cache_dir() if cache_dir is None else cache_dir
        if not self.missing_files(cache):
            return cache
        if not download:
            raise DataNotFoundError(f"the {self.title} were not found: " + self.what_to_do())
        url = env.get(self.url_env_var) if self.url_env_var else None
        try:
            return self.fetch(cache, url=url)
        except DownloadError as exc:
            raise DataNotFoundError(f"the {self.title} were not found and {exc}") from exc

    def fetch(
        self,
        dest: Path | None = None,
        *,
        url: str | None = None,
        force: bool = False,
        timeout_s: float = 60.0,
    ) -> Path:
        """Download the pinned files and install them, verified, into ``dest``.

        Each file must match its pinned SHA-256 before anything is written;
        the folder is filled atomically (a failed download leaves no partial copy).

        Args:
            dest: Target folder (default: the cache folder).
            url: Archive URL, or for per-file sources a base URL under which each
                local path is fetched (default: the environment override, else
                the repository at the pinned commit).
            force: Download even if ``dest`` already holds every file.
            timeout_s: Network timeout per read, in seconds.

        Raises:
            DownloadError: The download failed, or a file is missing or differs
                from its pin.
        """
        target = self.default_cache_dir() if dest is None else Path(dest).expanduser()
        if not force and not self.missing_files(target):
            return target
        override = url or (os.environ.get(self.url_env_var) if self.url_env_var else None)
        if self.archive_url is not None:
            source_url = override or self.archive_url
            files = self._extract_verified(
                self._download(source_url, timeout_s=timeout_s), source_url
            )
        else:
            source_url, files = self._fetch_files(override, timeout_s=timeout_s)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".mteval-fetch-", dir=target.parent))
        try:
            for rel, content in files.items():
                out = staging / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(content)
            (staging / "SOURCE.txt").write_text(
                f"{self.title} from {self.repository} at commit {self.commit}, downloaded by "
                f"mteval from {source_url}.\n{self.notice}",
                encoding="utf-8",
            )
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return target

    # -- internals -------------------------------------------------------------------

    def _download(self, url: str, *, timeout_s: float) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": "mteval"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            raise DownloadError(
                f"downloading {url} failed with HTTP {exc.code}: " + self.offline_advice()
            ) from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(
                f"downloading {url} failed ({reason}): " + self.offline_advice()
            ) from exc

    def _check(self, rel: str, content: bytes, url: str) -> None:
        sha, size = self.files[rel]
        got = hashlib.sha256(content).hexdigest()
        if got != sha or len(content) != size:
            raise DownloadError(
                f"{rel} in the archive from {url} does not match the pinned checksum "
                f"(sha256 {got[:12]}..., expected {sha[:12]}...): the download is corrupt "
                "or not the pinned commit; retry, or " + self.what_to_do()
            )

    def _remote(self, rel: str) -> str:
        return self.remote_paths.get(rel, rel)

    def _extract_verified(self, payload: bytes, url: str) -> dict[str, bytes]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(payload))
        except zipfile.BadZipFile as exc:
            raise DownloadError(
                f"{url} did not return a zip archive: " + self.what_to_do()
            ) from exc
        # GitHub archives hold one top-level folder (<name>-<commit>/); accept any.
        wanted = {self._remote(rel): rel for rel in self.files}
        by_rel: dict[str, str] = {}
        for name in archive.namelist():
            parts = name.split("/", 1)
            if len(parts) == 2 and parts[1] in wanted:
                by_rel[wanted[parts[1]]] = name
        files: dict[str, bytes] = {}
        for rel in self.files:
            member = by_rel.get(rel)
            if member is None:
                raise DownloadError(f"the archive from {url} lacks {rel}: " + self.what_to_do())
            content = archive.read(member)
            self._check(rel, content, url)
            files[rel] = content
        return files

    def _fetch_files(self, base: str | None, *, timeout_s: float) -> tuple[str, dict[str, bytes]]:
        if base is None and self.raw_url is None:
            raise DownloadError(f"no download location is known: {self.what_to_do()}")
        files: dict[str, bytes] = {}
        for rel in self.files:
            if base is not None:
                url = f"{base.rstrip('/')}/{rel}"
            else:
                assert self.raw_url is not None
                url = self.raw_url.format(
                    repository=self.repository, commit=self.commit, path=self._remote(rel)
                )
            content = self._download(url, timeout_s=timeout_s)
            self._check(rel, content, url)
            files[rel] = content
        shown = base or (self.raw_url or "").format(
            repository=self.repository, commit=self.commit, path="..."
        )
        return shown, files


class LazySources:
    """Lazy access to one copy of a benchmark's pinned files (nothing is read in the constructor).

    A benchmark's sources class sets :attr:`source` and adds its parsed data as
    cached properties; its task builders memoise their task sets in :attr:`memo`.

    Args:
        root: Folder holding the files (default: the source's environment
            variable, the cache, a download).
        download: Allow downloading when no copy is found.
        verify: Check each file against its pinned checksum.
    """

    source: ClassVar[PinnedSource]
    """The pinned files this class gives access to."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        download: bool = True,
        verify: bool = True,
    ) -> None:
        self._root_arg = root
        self._download = download
        self._verify = verify
        self.memo: dict[str, Any] = {}

    @functools.cached_property
    def root(self) -> Path:
        """The folder holding the files (located on first use)."""
        return self.source.resolve(self._root_arg, download=self._download)
