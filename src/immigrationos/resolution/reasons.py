"""Resolution's hold reasons that later layers read: those that say who a record could be, rather than
what contradicts it (a self-departure registration held for one of them may be told apart by an exit)."""

SHARED_DESCRIPTION = "name and birth date shared by several persons"
FITS_TWO_PERSONS = "fits two persons about equally well"
WHO_COULD_IT_BE = (SHARED_DESCRIPTION, FITS_TWO_PERSONS)
