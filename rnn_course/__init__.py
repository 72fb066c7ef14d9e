"""The recurrent layers built in the course, importable: `from rnn_course import LSTMCell, Recurrence`.

Generated from the notebooks by `python3 course.py export`: edit the notebooks, not these files.
Each module holds the definitions of one notebook (rnn_course.lstm: notebooks/03_lstm.ipynb)."""
from .simple_rnn import SimpleRNNCell, Recurrence, JordanRNNCell
from .lstm import LSTMCell
from .peephole_lstm import PeepholeLSTMCell
from .stacked_lstm import StackedRNN
from .bidirectional_lstm import BidirectionalRNN, SimpleRNNCell, LSTMCell, Recurrence
from .gru import GRUCell
from .char_language_model import Recurrence

__all__ = ['SimpleRNNCell', 'Recurrence', 'JordanRNNCell', 'LSTMCell', 'PeepholeLSTMCell', 'StackedRNN', 'BidirectionalRNN', 'GRUCell']
