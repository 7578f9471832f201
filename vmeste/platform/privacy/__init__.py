"""A citizen's data rights under 152-ФЗ: the export of everything the platform holds
about them, erasure, and the retention sweep, built from the components'
personal-data declarations (:mod:`vmeste.platform.personal_data`)."""
