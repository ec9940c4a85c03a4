"""ImmigrationOS: accountable integration of immigration agency records.

Data flows one way: sources -> resolution -> lifecycle -> priority / departures -> api / web.
"""

__version__ = "0.1.0"
