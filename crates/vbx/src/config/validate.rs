//! `validate()`: raw configuration → [`super::Config`], or every problem at once.
