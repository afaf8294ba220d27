"""Madoguchi (窓口): a municipality's online applications, counter and casework."""
