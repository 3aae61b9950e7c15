"""Signals that let higher apps follow changes in schools without lms importing them."""

from django.dispatch import Signal

# Sent inside the transaction that seats students in a classroom.
# Arguments: classroom (Classroom), students (list[User], only those newly seated).
classroom_students_added = Signal()
