"""The model zoo: each architecture of the notes is a short file that composes ``gradiente.nn`` components."""
from .lenet import LeNet5
from .transformer import Seq2SeqTransformer
from .vit import ViT
from .gpt import GPT
from .bert import BertModel, SentenceEncoder
from .cnn import PlainCNN, SimpleCNN, CNN1d
from .rnn import RecurrentNet, adding_model, copy_model, forecaster, mnist1d_gru, digits_rnn
from .charlm import CharLM
from .resnet import BasicBlock, ResNet, resnet20
from .autoencoder import Autoencoder, ConvAutoencoder
from .vae import VAE, ConvVAE, vae_loss
from .gan import Generator, Discriminator, DCGANGenerator, DCGANDiscriminator, GAN
