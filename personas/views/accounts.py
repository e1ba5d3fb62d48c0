from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render

from personas.security import signup_allowed


def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST":
        if not signup_allowed(request):
            # Checked before the form, whose errors would say whether the name is taken.
            form = UserCreationForm()
            messages.error(request, "Too many sign-ups from your address. Please try again later.")
        elif form.is_valid():
            user = form.save()
            login(request, user)
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})
