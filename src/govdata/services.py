"""The node's backends, chosen by settings and handed to every action.

Each backend sits behind a small interface with an embedded implementation;
later areas add theirs here (query engine, message bus, peer-node client,
key store).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govdata.access.grants import GrantSource
from govdata.aggregation.dispatch import JobDispatcher
from govdata.catalog.indexing import SearchService
from govdata.crypto.keystore import KeyStore, LocalKeyStore
from govdata.lake.location import StorageLocation, location_from_uri
from govdata.secretbox import SecretBox
from govdata.settings import Settings
from govdata.sharing.grant_source import DatabaseGrants
from govdata.sharing.service_reads import KeyIndexCache
from govdata.workdays.calendar import StatutoryCalendar


@dataclass(frozen=True)
class Services:
    secretbox: SecretBox
    calendar: StatutoryCalendar
    search: SearchService
    lake: StorageLocation
    jobs: JobDispatcher
    # Explicit access grants the grade decision takes: those the sharing workflow stores
    # (govdata.sharing.grant_source.DatabaseGrants); tests hand in StaticGrants.
    grants: GrantSource
    # Master keys wrapping the data keys of encrypted lake columns (X4).
    keystore: KeyStore
    # Row-group indexes of lake table versions for the services' keyed look-ups (S2, S3).
    service_indexes: KeyIndexCache = field(default_factory=KeyIndexCache)


def build_services(settings: Settings) -> Services:
    return Services(
        secretbox=SecretBox.from_keys_dir(settings.keys_dir),
        calendar=StatutoryCalendar.load(settings.calendar_file),
        search=SearchService(settings.search_dir),
        lake=location_from_uri(settings.effective_lake_uri, settings.lake_storage_options),
        jobs=JobDispatcher(settings),
        grants=DatabaseGrants(),
        keystore=LocalKeyStore(settings.keys_dir),
    )
