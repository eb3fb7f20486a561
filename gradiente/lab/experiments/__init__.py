"""The lab's experiments: one module per claim, each registering an ``Experiment`` subclass.

Every module in this package is imported when the registry is first used;
adding an experiment is adding one file here.
"""
